"""Healthy, busy: six request handlers count hits in a shared dict under one threading.RLock,
taking it again (nested) to update a total on every third hit. The lock changes hands all the
time; nobody ever waits for long."""
import threading

from _appkit import ready


class HitCounter:
    def __init__(self):
        self.lock = threading.RLock()
        self.hits = {}

    def total(self):
        with self.lock:
            self.hits["total"] = self.hits.get("total", 0) + 1

    def hit(self, route):
        with self.lock:
            self.hits[route] = self.hits.get(route, 0) + 1
            if self.hits[route] % 3 == 0:
                self.total()


def handler(counter, route):
    while True:
        counter.hit(route)


def main():
    counter = HitCounter()
    handlers = [threading.Thread(target=handler, args=(counter, "/r%d" % i), name="handler-%d" % i)
                for i in range(6)]
    for t in handlers:
        t.start()
    ready()
    for t in handlers:
        t.join()


if __name__ == "__main__":
    main()
