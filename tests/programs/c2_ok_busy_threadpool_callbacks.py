"""Healthy, busy: a checksum service hashes batches on a multiprocessing.pool.ThreadPool;
apply_async callbacks add to the totals under a lock and notify the main thread's Condition,
which waits for each batch to finish."""
import hashlib
import threading
from multiprocessing.pool import ThreadPool

from _appkit import ready

totals_lock = threading.Lock()
batch_done = threading.Condition(totals_lock)
totals = {"digests": 0, "in_batch": 0}


def digest(n):
    return hashlib.sha256(str(n).encode() * 64).hexdigest()


def on_digest(value):
    with totals_lock:
        totals["digests"] += 1
        totals["in_batch"] += 1
        batch_done.notify_all()


def main():
    pool = ThreadPool(3)
    first = True
    while True:
        with totals_lock:
            totals["in_batch"] = 0
        for n in range(20):
            pool.apply_async(digest, (n,), callback=on_digest)
        with batch_done:
            while totals["in_batch"] < 20:
                batch_done.wait()
        if first:
            ready()
            first = False


if __name__ == "__main__":
    main()
