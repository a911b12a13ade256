"""Two pool workers take two shared multiprocessing locks in opposite order; the parent waits
for the results in Pool.map."""
import multiprocessing
import os
import time

ledger = None
journal = None


def init(l1, l2):
    global ledger, journal
    ledger, journal = l1, l2


def post(order):
    first, second = (ledger, journal) if order == 0 else (journal, ledger)
    with first:
        time.sleep(0.5)
        with second:  # LINE:second
            return order


if __name__ == "__main__":
    l1, l2 = multiprocessing.Lock(), multiprocessing.Lock()
    with multiprocessing.Pool(2, initializer=init, initargs=(l1, l2)) as pool:
        result = pool.map_async(post, [0, 1], chunksize=1)
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        result.get()
