"""Hang: a document indexer parses files on a multiprocessing.pool.ThreadPool with
apply_async(callback=record); record() takes index_lock. The main thread holds index_lock while it
waits for the next result, but results are delivered by the pool's result-handler thread, which
is stuck in record() for the previous one."""
import threading
import time
from multiprocessing.pool import ThreadPool

from _appkit import ready

index_lock = threading.Lock()
index = {}


def parse(path):
    time.sleep(0.05)
    return path, len(path)


def record(result):
    path, size = result
    with index_lock:  # LINE:record_with
        index[path] = size


def main():
    pool = ThreadPool(2)
    with index_lock:  # LINE:main_with
        pool.apply_async(parse, ("intro.txt",), callback=record)
        time.sleep(0.3)
        pending = pool.apply_async(parse, ("usage.txt",), callback=record)
        threading.Timer(0.5, ready).start()
        print(pending.get())  # LINE:main_get


if __name__ == "__main__":
    main()
