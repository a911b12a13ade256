"""Hang: lock-order inversion between two stores' locks, reached through a service object
(self.store.lock, self.cache.lock) in two request handlers."""
import threading
import time

from _appkit import ready


class Store:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.rows = {}


class Service:
    def __init__(self):
        self.store = Store("rows")
        self.cache = Store("cache")
        self.barrier = threading.Barrier(2)

    def write(self, key, value):
        with self.store.lock:  # LINE:write_with
            self.barrier.wait()
            with self.cache.lock:  # LINE:write_inner
                self.cache.rows.pop(key, None)
            self.store.rows[key] = value

    def refresh(self, key):
        with self.cache.lock:  # LINE:refresh_with
            self.barrier.wait()
            with self.store.lock:  # LINE:refresh_inner
                self.cache.rows[key] = self.store.rows.get(key)


class App:
    def __init__(self):
        self.service = Service()


app = App()


def main():
    a = threading.Thread(target=app.service.write, args=("k", 1), name="writer")
    b = threading.Thread(target=app.service.refresh, args=("k",), name="refresher")
    a.start()
    b.start()
    time.sleep(0.3)
    ready()
    a.join()
    b.join()


if __name__ == "__main__":
    main()
