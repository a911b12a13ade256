"""Hang: two threads of a log relay talk over two os.pipe()s and each waits to read first.

"collector" reads a request from the requests pipe before it answers on the answers pipe;
"shipper" was changed to wait for the collector's banner on the answers pipe before it sends
any request. Only this process holds the pipes' write ends, and the only threads that could
write are the two readers themselves.
"""
import os
import threading

from _appkit import ready


def collector(requests_r, answers_w):
    request = os.read(requests_r, 64)  # LINE:collector_read
    os.write(answers_w, b"ok " + request)


def shipper(answers_r, requests_w):
    banner = os.read(answers_r, 64)  # LINE:shipper_read
    os.write(requests_w, b"ship " + banner)


def main():
    requests_r, requests_w = os.pipe()
    answers_r, answers_w = os.pipe()
    threads = [threading.Thread(target=collector, args=(requests_r, answers_w), name="collector"),
               threading.Thread(target=shipper, args=(answers_r, requests_w), name="shipper")]
    for t in threads:
        t.start()
    threading.Timer(0.5, ready).start()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
