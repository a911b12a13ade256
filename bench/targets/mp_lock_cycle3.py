"""Bench target (m): four processes, a parent and three children in a three-lock cycle: child i
holds lock i and waits for lock i+1; the parent joins the first child. Prints READY <pid>."""
import multiprocessing
import os
import time


def take(number, first_lock, second_lock, started):
    with first_lock:
        started.release()
        time.sleep(0.5)
        with second_lock:
            pass


if __name__ == "__main__":
    locks = [multiprocessing.Lock() for _ in range(3)]
    started = multiprocessing.Semaphore(0)
    children = [multiprocessing.Process(target=take, args=(i, locks[i], locks[(i + 1) % 3], started),
                                        name=f"taker-{i + 1}") for i in range(3)]
    for c in children:
        c.start()
    for _ in children:
        started.acquire()
    time.sleep(1.0)
    print(f"READY {os.getpid()}", flush=True)
    children[0].join()
