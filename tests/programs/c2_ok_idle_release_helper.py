"""Healthy, idle: a lock released through a helper method. The journal's append() takes the
journal lock with acquire() and gives it back through self._unlock() (which calls release()),
then waits for the stats lock. Meanwhile the checkpoint lease holds the journal lock (taken by
start_checkpoint(), released by a threading.Timer in an hour), and the main thread holds the
stats lock while it waits for the journal lock. The writer does not hold the journal lock any
more; the timer will release it. Not a deadlock."""
import threading
import time

from _appkit import ready


class Journal:
    def __init__(self):
        self.lock = threading.Lock()
        self.stats_lock = threading.Lock()
        self.entries = []
        self.appended = 0

    def _unlock(self):
        self.lock.release()

    def append(self, entry):
        self.lock.acquire()  # LINE:append_acquire
        try:
            self.entries.append(entry)
        finally:
            self._unlock()  # LINE:append_unlock
        with self.stats_lock:  # LINE:append_stats
            self.appended += 1

    def start_checkpoint(self, seconds):
        self.lock.acquire()  # LINE:checkpoint_acquire (released by the timer)
        done = threading.Timer(seconds, self.lock.release)
        done.name = "checkpoint-done"
        done.start()


def main():
    journal = Journal()
    with journal.stats_lock:  # LINE:main_stats
        writer = threading.Thread(target=journal.append, args=("debit 10",), name="writer", daemon=True)
        writer.start()
        time.sleep(0.05)
        journal.start_checkpoint(3600.0)
        ready()
        with journal.lock:  # LINE:main_with
            print(len(journal.entries))


if __name__ == "__main__":
    main()
