"""Hang: the flusher holds the index lock while it waits for the write queue to drain
(jobs.join()); the writer thread needs the index lock to finish the job it took."""
import queue
import threading

from _appkit import ready

index_lock = threading.Lock()
writes = queue.Queue()
index = {}


def writer():
    while True:
        key, value = writes.get()
        with index_lock:  # LINE:writer_lock
            index[key] = value
        writes.task_done()


def flush():
    with index_lock:  # LINE:flush_with
        writes.put(("k", 1))
        threading.Timer(0.3, ready).start()
        writes.join()  # LINE:flush_join


threading.Thread(target=writer, name="writer", daemon=True).start()
flush()
