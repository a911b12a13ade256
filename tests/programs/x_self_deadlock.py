"""Hang: a method that holds a Lock calls another method that takes it again."""
import threading

from _appkit import ready


class Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = {}

    def size(self):
        with self.lock:  # LINE:inner_with
            return len(self.items)

    def add(self, key, value):
        with self.lock:  # LINE:outer_with
            self.items[key] = value
            ready()
            return self.size()  # LINE:call_size


def main():
    Cache().add("k", "v")


if __name__ == "__main__":
    main()
