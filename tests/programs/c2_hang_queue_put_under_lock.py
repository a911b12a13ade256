"""Hang: a bounded queue and a lock. The "ingest" thread holds the catalog lock while it puts a
batch on a full queue (maxsize=1); the "indexer" takes the catalog lock before each get(), so it
never drains the queue. Main joins ingest."""
import queue
import threading
import time

from _appkit import ready

batches = queue.Queue(maxsize=1)
catalog_lock = threading.Lock()
catalog = {}


def ingest():
    for n in range(5):
        with catalog_lock:  # LINE:ingest_with
            catalog[n] = "pending"
            batches.put(["batch", n])  # LINE:ingest_put


def indexer():
    time.sleep(0.1)
    while True:
        with catalog_lock:  # LINE:indexer_with
            batch = batches.get()
            catalog[batch[1]] = "indexed"


def main():
    t = threading.Thread(target=ingest, name="ingest")
    t.start()
    threading.Thread(target=indexer, name="indexer", daemon=True).start()
    ready()
    t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
