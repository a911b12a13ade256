"""Healthy: a Pool worker computes for a long time; the main thread waits for an Event that the
apply_async callback (run by the pool's result-handler thread) will set."""
import multiprocessing
import threading
import time

from _appkit import ready


def crunch(n):
    total = 0
    end = time.time() + 3600
    while time.time() < end:
        total += n
    return total


def main():
    finished = threading.Event()
    results = []

    def collect(value):
        results.append(value)
        finished.set()

    with multiprocessing.Pool(1) as pool:
        pool.apply_async(crunch, (7,), callback=collect)
        threading.Timer(0.5, ready).start()
        finished.wait()  # LINE:main_wait


if __name__ == "__main__":
    main()
