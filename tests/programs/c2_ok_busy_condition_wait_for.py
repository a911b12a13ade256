"""Healthy, busy: a bounded job buffer built on one Condition. Producers and consumers wait with
Condition.wait_for(predicate, timeout) and notify each other; a monitor thread reads the depth."""
import collections
import threading
import time

from _appkit import ready


class JobBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = collections.deque()
        self.cond = threading.Condition()

    def put(self, item):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.items) < self.capacity, timeout=2.0):  # LINE:put_wait
                return False
            self.items.append(item)
            self.cond.notify_all()
            return True

    def get(self):
        with self.cond:
            if not self.cond.wait_for(lambda: self.items, timeout=2.0):  # LINE:get_wait
                return None
            item = self.items.popleft()
            self.cond.notify_all()
            return item


def producer(buf, base):
    n = 0
    while True:
        n += 1
        buf.put((base, n, [n] * 10))


def consumer(buf, totals, name):
    while True:
        item = buf.get()
        if item is not None:
            totals[name] = totals.get(name, 0) + sum(item[2])


def monitor(buf):
    while True:
        depth = len(buf.items)
        time.sleep(0.01 if depth else 0.02)


def main():
    buf = JobBuffer(8)
    totals = {}
    for i in range(2):
        threading.Thread(target=producer, args=(buf, i), name="producer-%d" % i, daemon=True).start()
    for i in range(3):
        threading.Thread(target=consumer, args=(buf, totals, i), name="consumer-%d" % i, daemon=True).start()
    threading.Thread(target=monitor, args=(buf,), name="monitor", daemon=True).start()
    ready()
    threading.Event().wait()


if __name__ == "__main__":
    main()
