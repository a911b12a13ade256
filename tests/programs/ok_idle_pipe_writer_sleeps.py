"""Not a deadlock: a reader thread blocks in os.read() on a pipe whose only writer is a thread
that sleeps before it writes (a heartbeat that fires once an hour). The main thread joins the
reader. The sleeping writer will write: the read ends.
"""
import os
import threading
import time

from _appkit import ready


def heartbeat(write_fd):
    time.sleep(3600)  # LINE:writer_sleep
    os.write(write_fd, b"beat\n")


def listen(read_fd):
    data = os.read(read_fd, 64)  # LINE:reader_read
    print(data)


def main():
    r, w = os.pipe()
    threading.Thread(target=heartbeat, args=(w,), name="heartbeat").start()
    reader = threading.Thread(target=listen, args=(r,), name="listener")
    reader.start()
    threading.Timer(0.5, ready).start()
    reader.join()  # LINE:main_join


if __name__ == "__main__":
    main()
