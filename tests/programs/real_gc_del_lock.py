"""Hang: a __del__ takes a lock that the frame the collector interrupted holds. The metrics
registry wraps its lock in TracedLock, whose Python-level release() records how long the lock
was held before it really releases it. A Gauge freed by the garbage collector unregisters
itself in __del__ (`with registry.lock:`). A collection that starts inside TracedLock.release()
or anywhere in the `with registry.lock:` block - both with the lock still held by the thread -
makes __del__ wait forever for its own thread.
"""
import gc
import random
import threading
import time

from _appkit import ready


class TracedLock:
    def __init__(self):
        self._lock = threading.Lock()
        self.held_for = []

    def acquire(self):
        self._lock.acquire()  # LINE:traced_acquire
        self._since = time.monotonic()

    def release(self):
        self.held_for.append((time.monotonic() - self._since, len(self.held_for)))
        if len(self.held_for) > 100:
            del self.held_for[:50]
        self._lock.release()  # LINE:traced_release

    def locked(self):
        return self._lock.locked()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


class Registry:
    def __init__(self):
        self.lock = TracedLock()
        self.names = set()
        self.created = 0

    def create(self, name):
        with self.lock:  # LINE:create_with
            gauge = Gauge(name)  # LINE:create_new
            self.created += 1
            gauge.labels = [[name, k] for k in range(random.randrange(16))]  # the collector may start here
            self.names.add(name)
        return gauge

    def unregister(self, name):
        with self.lock:  # LINE:unregister_with
            self.names.discard(name)


registry = Registry()


class Gauge:
    def __init__(self, name):
        self.name = name
        self.samples = [self]  # a cycle: freed by the collector only

    def __del__(self):
        if registry.lock.locked():  # no other thread uses the registry
            ready()
        registry.unregister(self.name)  # LINE:del_unregister


def main():
    gc.set_threshold(10, 1000000, 1000000)
    n = 0
    while True:
        n += 1
        registry.create("latency.%d" % n)  # LINE:main_create (the gauge is dropped at once)


if __name__ == "__main__":
    main()
