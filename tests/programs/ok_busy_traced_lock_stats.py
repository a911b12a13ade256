"""A TracedLock wrapper records how long each critical section held the lock. Its release()
frees the lock first and then updates the statistics of the same lock under the lock again
(short section). Several workers use `with traced:`; one 'flusher' holds the lock for long
stretches (it writes a checkpoint), so a worker is often caught in release()'s bookkeeping
waiting for the flusher. Healthy: it always makes progress."""
import threading
import time
from _appkit import ready

class TracedLock:
    def __init__(self, name):
        self.name = name
        self._lock = threading.Lock()
        self.acquired_at = 0.0
        self.hold_times = []

    def acquire(self):
        self._lock.acquire()
        self.acquired_at = time.monotonic()

    def release(self):
        held = time.monotonic() - self.acquired_at
        self._lock.release()
        self._account(held)

    def _account(self, held):
        with self._lock:
            self.hold_times.append(held)
            if len(self.hold_times) > 1000:
                del self.hold_times[:500]

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

STATE = {"n": 0}

def worker(traced):
    while True:
        with traced:
            STATE["n"] += 1
        sum(i * i for i in range(200))

def flusher(traced):
    while True:
        traced.acquire()
        try:
            time.sleep(0.8)          # writing a checkpoint while holding the lock
        finally:
            traced.release()
        time.sleep(0.01)

def main():
    traced = TracedLock("state")
    for i in range(3):
        threading.Thread(target=worker, args=(traced,), name="worker-%d" % i, daemon=True).start()
    threading.Thread(target=flusher, args=(traced,), name="flusher", daemon=True).start()
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(1)

if __name__ == "__main__":
    main()
