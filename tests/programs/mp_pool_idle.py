"""Control: an idle multiprocessing.Pool while the parent sleeps: not a deadlock."""
import multiprocessing
import os
import time


def square(x):
    return x * x


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        assert pool.map(square, range(4)) == [0, 1, 4, 9]
        time.sleep(0.3)
        print(f"READY {os.getpid()}", flush=True)
        time.sleep(3600)
