"""Hang: a worker process dies holding a multiprocessing.Lock. The exporter child takes the
shared export lock and crashes (os._exit stands for a segfault in a C extension) before it
releases it; the parent, after joining it, waits for the lock forever."""
import multiprocessing
import os

from _appkit import ready


def export(lock, path):
    lock.acquire()  # LINE:child_acquire
    if not path.endswith(".csv"):
        os._exit(3)  # the "crash": the lock is never released
    lock.release()


def main():
    lock = multiprocessing.Lock()
    child = multiprocessing.Process(target=export, args=(lock, "/tmp/report.parquet"), name="exporter")
    child.start()
    child.join()
    ready()
    with lock:  # LINE:parent_with
        print("exported")


if __name__ == "__main__":
    main()
