"""A self-deadlock through legacy code that passes the blocking flag as an int: acquire(1).

Thread "legacy-sync" holds journal.lock (`with self.lock:` in Journal.append) and calls
Journal._reserve(), written in an old style: `self.lock.acquire(1)` means acquire(blocking=1),
which waits forever (no timeout). The main thread waits in join() for the thread.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging


class Journal:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def _reserve(self):
        self.lock.acquire(1)  # LINE:reserve
        try:
            self.entries.append(None)
        finally:
            self.lock.release()

    def append(self, entry, arrivals):
        with self.lock:  # LINE:append_hold
            arrivals.arrive()
            self._reserve()  # LINE:append_call
            self.entries[-1] = entry


if __name__ == "__main__":
    setup_logging()
    journal = Journal()
    arrivals = Rendezvous(1)
    syncer = threading.Thread(target=journal.append, args=("entry-1", arrivals), name="legacy-sync")
    syncer.start()
    arrivals.wait_all()
    ready()
    syncer.join()  # LINE:join
