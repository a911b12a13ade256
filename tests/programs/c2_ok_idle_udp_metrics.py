"""Healthy, idle: a statsd-like metrics daemon. A receiver thread waits in recvfrom() on a UDP
socket and hands packets to an aggregator through a queue; the main thread joins both."""
import queue
import socket
import threading

from _appkit import ready

packets = queue.Queue()


def receiver(sock):
    while True:
        data, _ = sock.recvfrom(65535)  # LINE:recvfrom
        packets.put(data)


def aggregator():
    counters = {}
    while True:
        data = packets.get()  # LINE:agg_get
        name, _, value = data.decode().partition(":")
        counters[name] = counters.get(name, 0) + int(value.split("|")[0])


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    threads = [threading.Thread(target=receiver, args=(sock,), name="receiver"),
               threading.Thread(target=aggregator, name="aggregator")]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
