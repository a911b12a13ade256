"""Hang: garbage-collector re-entrancy in a cache. Entries are Handles with a reference cycle;
when the collector frees one, Handle.__del__ evicts its key from the cache under the cache's
lock. The main thread refreshes the cache under that same lock and allocates there: a
collection that starts inside `with self.lock:` of refresh() runs __del__, which waits forever
for the lock its own thread holds."""
import gc
import threading

from _appkit import ready


class Handle:
    def __init__(self, cache, key):
        self.cache = cache
        self.key = key
        self.self_ref = self

    def __del__(self):
        if self.cache.lock.locked():  # the main thread is the only user of the cache
            ready()
        self.cache.evict(self.key)  # LINE:del_evict


class HandleCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}

    def evict(self, key):
        with self.lock:  # LINE:evict_with
            self.entries.pop(key, None)

    def refresh(self, keys):
        with self.lock:  # LINE:refresh_with
            for key in keys:
                self.entries[key] = {"handle": Handle(self, key), "tags": [key, [key] * 3]}


def main():
    gc.set_threshold(7, 2, 1000000)
    cache = HandleCache()
    generation = 0
    while True:
        generation += 1
        cache.refresh(["k%d" % (generation % 50 + i) for i in range(5)])  # LINE:main_refresh


if __name__ == "__main__":
    main()
