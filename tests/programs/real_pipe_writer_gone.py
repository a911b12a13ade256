"""Hang: a reader thread waits on a pipe whose writer thread gave up before writing and did not
close its end. The write end stays open in this process (no other process has it), so the read
never sees data or end-of-file; the main thread joins the reader."""
import os
import threading

from _appkit import ready

read_end, write_end = os.pipe()


def fetch_and_forward():
    try:
        raise IOError("upstream unavailable")
    except IOError:
        return  # BUG: os.close(write_end) was forgotten on this path
    os.write(write_end, b"payload")


def consume():
    data = os.read(read_end, 4096)  # LINE:reader_read
    print("got", len(data))


def main():
    reader = threading.Thread(target=consume, name="consumer")
    reader.start()
    writer = threading.Thread(target=fetch_and_forward, name="forwarder")
    writer.start()
    writer.join()
    threading.Timer(0.3, ready).start()
    reader.join()  # LINE:main_join


if __name__ == "__main__":
    main()
