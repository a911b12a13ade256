"""Healthy, busy: a read-through cache guarded by one RLock, re-entered by the loader (get ->
load -> put, all under the lock), read by 5 reader threads and invalidated by a janitor."""
import threading

from _appkit import ready


class Cache:
    def __init__(self):
        self._lock = threading.RLock()
        self._data = {}

    def get(self, key):
        with self._lock:  # LINE:cache_get
            if key not in self._data:
                self._load(key)
            return self._data[key]

    def _load(self, key):
        with self._lock:  # re-entered
            self.put(key, str(key) * 3)

    def put(self, key, value):
        with self._lock:  # re-entered again
            self._data[key] = value

    def invalidate(self):
        with self._lock:
            self._data.clear()


cache = Cache()


def reader(seed):
    n = seed
    while True:
        n = (n * 31 + 7) % 997
        cache.get(n % 50)


def janitor():
    while True:
        for _ in range(100):
            cache.get(0)
        cache.invalidate()


if __name__ == "__main__":
    for i in range(5):
        threading.Thread(target=reader, args=(i,), name="reader-%d" % i, daemon=True).start()
    threading.Thread(target=janitor, name="janitor", daemon=True).start()
    ready()
    threading.Event().wait()
