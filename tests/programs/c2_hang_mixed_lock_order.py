"""Hang: lock-order inversion between a threading.Lock (the in-memory index) and a
multiprocessing.Lock (the on-disk journal, shared with child processes) in two threads."""
import multiprocessing
import threading
import time

from _appkit import ready

index_lock = threading.Lock()
journal_lock = multiprocessing.Lock()
go = threading.Barrier(2)


def indexer():
    with index_lock:  # LINE:indexer_with
        go.wait()
        with journal_lock:  # LINE:indexer
            pass


def compactor():
    with journal_lock:  # LINE:compactor_with
        go.wait()
        with index_lock:  # LINE:compactor
            pass


def main():
    ts = [threading.Thread(target=indexer, name="indexer"), threading.Thread(target=compactor, name="compactor")]
    for t in ts:
        t.start()
    time.sleep(0.3)
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
