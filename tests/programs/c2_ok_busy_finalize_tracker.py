"""Healthy, busy: an object tracker where every Buffer has a weakref.finalize callback that
takes the tracker's RLock (re-entrant, so finalizers running under the lock on the same thread
are fine); 4 threads allocate and drop buffers (some in reference cycles, so the GC runs the
finalizers at random points, including inside `with tracker.lock`).
Right verdict: NO deadlock at any moment."""
import gc
import threading
import weakref

from _appkit import ready


class Tracker:
    def __init__(self):
        self.lock = threading.RLock()
        self.live = 0

    def closed(self):
        with self.lock:
            self.live -= 1

    def track(self, obj):
        with self.lock:
            self.live += 1
            weakref.finalize(obj, self.closed)
            obj.peer = obj  # cycle: freed by the collector
            junk = [[i] for i in range(20)]


class Buffer:
    pass


tracker = Tracker()


def churn():
    while True:
        b = Buffer()
        tracker.track(b)
        b = None


def main():
    gc.set_threshold(50, 5, 5)
    ts = [threading.Thread(target=churn, name="churn-%d" % i) for i in range(4)]
    for t in ts:
        t.start()
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
