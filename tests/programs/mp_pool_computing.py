"""Control: a multiprocessing.Pool whose workers keep computing while the parent waits in map():
not a deadlock."""
import multiprocessing
import os
import time


def crunch(n):
    total = 0
    while True:
        total += sum(range(20_000))
        time.sleep(0.02)


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        result = pool.map_async(crunch, [1, 2], chunksize=1)
        time.sleep(0.5)
        print(f"READY {os.getpid()}", flush=True)
        result.get()
