"""A multiprocessing.Pool task takes a shared lock with acquire() and returns without releasing
it; the next task, in the same (only) worker, waits for it forever while the parent waits in get()."""
import multiprocessing
import os
import time

lock = None


def init(shared):
    global lock
    lock = shared


def take_and_forget():
    lock.acquire()  # LINE:acquire
    return os.getpid()


def take_politely(holder_pid):
    with lock:  # LINE:with
        return holder_pid


if __name__ == "__main__":
    with multiprocessing.Pool(1, initializer=init, initargs=(multiprocessing.Lock(),)) as pool:
        holder = pool.apply_async(take_and_forget).get()
        result = pool.apply_async(take_politely, (holder,))
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        result.get()  # LINE:get
