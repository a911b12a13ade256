"""The parent holds a multiprocessing.Lock while it waits in future.result() for a
ProcessPoolExecutor job that needs the same lock."""
import concurrent.futures
import multiprocessing
import os
import time

shared = None


def init(lock):
    global shared
    shared = lock


def locked_job():
    with shared:  # LINE:job
        return 42


if __name__ == "__main__":
    books = multiprocessing.Lock()
    with concurrent.futures.ProcessPoolExecutor(1, initializer=init, initargs=(books,)) as executor:
        executor.submit(int).result()  # the worker is up
        with books:  # LINE:hold
            future = executor.submit(locked_job)
            time.sleep(1.0)
            print(f"READY {os.getpid()}", flush=True)
            future.result()  # LINE:result
