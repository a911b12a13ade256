"""Healthy, busy: four workers compute and write progress lines to one shared log stream, a
buffered pipe whose other end a "forwarder" thread reads and ships on (here: counts). The stream's
C lock is taken around every write and flush; a flush of the big buffer fills the pipe and waits
for the forwarder while holding that lock, so the workers often wait for each other there, a
moment each.
Right verdict: no deadlock, at any moment."""
import hashlib
import os
import threading

from _appkit import ready


read_end, write_end = os.pipe()
log = os.fdopen(write_end, "w", buffering=1 << 18)
shipped = [0]


def forwarder():
    while True:
        chunk = os.read(read_end, 1 << 16)  # LINE:forward_read
        shipped[0] += len(chunk)


def worker(n, started):
    started.set()
    digest = b"seed-%d" % n
    count = 0
    while True:
        for _ in range(20):
            digest = hashlib.sha256(digest).digest()
        count += 1
        log.write("worker %d step %d %s\n" % (n, count, digest.hex() * 16))  # LINE:worker_write


def main():
    threading.Thread(target=forwarder, name="forwarder", daemon=True).start()
    threads = []
    for n in range(4):
        started = threading.Event()
        t = threading.Thread(target=worker, args=(n, started), name="worker-%d" % n, daemon=True)
        t.start()
        started.wait()
        threads.append(t)
    ready()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
