"""Healthy, idle: a log collector holds its state lock while it opens a named pipe for reading;
open() blocks until some process opens the FIFO for writing. Two workers wait for the lock and
the main thread joins them. Anyone writing to the FIFO ends the wait."""
import os
import tempfile
import threading

from _appkit import ready

state_lock = threading.Lock()
entries = []


def collector(path):
    with state_lock:
        with open(path, "rb") as f:  # LINE:fifo_open
            entries.extend(f.read().splitlines())


def worker():
    with state_lock:  # LINE:worker_lock
        entries.append(b"worker")


def main():
    path = os.path.join(tempfile.mkdtemp(), "collector.fifo")
    os.mkfifo(path)
    c = threading.Thread(target=collector, args=(path,), name="collector")
    c.start()
    while not state_lock.locked():
        pass
    workers = [threading.Thread(target=worker, name="worker-%d" % i) for i in range(2)]
    for w in workers:
        w.start()
    ready()
    for t in [c] + workers:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
