"""Healthy, idle: a failed non-blocking acquire(). The indexer tries the index lock with
acquire(blocking=False) for the fast path; it is busy (the compactor holds it with `with` during
a long compaction, a sleep stands for it), so the indexer falls back to the slow path, which
waits for the queue lock. The main thread holds the queue lock and waits for the index lock.
The compactor will finish and release: not a deadlock."""
import threading
import time

from _appkit import ready


class Index:
    def __init__(self):
        self.lock = threading.Lock()
        self.queue_lock = threading.Lock()
        self.pending = []

    def add(self, doc):
        fast = self.lock.acquire(blocking=False)  # LINE:try_acquire (fails: the compactor has it)
        if fast:
            try:
                self.pending.append(doc)
            finally:
                self.lock.release()
            return
        with self.queue_lock:  # LINE:slow_path
            self.pending.append(doc)

    def compact(self):
        with self.lock:  # LINE:compact_with
            time.sleep(3600)  # LINE:compact_sleep
            self.pending.sort()


def main():
    index = Index()
    threading.Thread(target=index.compact, name="compactor", daemon=True).start()
    while not index.lock.locked():
        time.sleep(0.01)
    with index.queue_lock:  # LINE:main_queue
        threading.Thread(target=index.add, args=("doc-1",), name="indexer", daemon=True).start()
        time.sleep(0.05)
        ready()
        with index.lock:  # LINE:main_with
            index.pending.clear()


if __name__ == "__main__":
    main()
