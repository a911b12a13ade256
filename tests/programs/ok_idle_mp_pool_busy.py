"""Healthy: the parent waits in AsyncResult.get() (no timeout) for a Pool worker that is busy
computing. Read without --children: the parent cannot be called deadlocked, the worker it waits
for is not in the report."""
import multiprocessing
import time

from _appkit import ready


def simulate(steps):
    x = 0
    while True:
        for i in range(steps):
            x = (x * 31 + i) % 1000003
        time.sleep(0.005)  # writes a checkpoint (stands for I/O between bursts of work)


def main():
    with multiprocessing.Pool(1) as pool:
        result = pool.apply_async(simulate, (10000,))
        ready()
        result.get()  # LINE:result_get


if __name__ == "__main__":
    main()
