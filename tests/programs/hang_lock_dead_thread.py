"""A plain Lock taken with acquire() by a thread that then exits without releasing it.

Thread "loader" warms the cache: it calls cache_lock.acquire() and, on the "cache already warm"
path, returns without release(). The main thread keeps the loader's Thread object (it joined it)
and then waits for cache_lock in a `with` block forever. A plain Lock records no owner: that the
exited loader holds it can only be inferred.
"""
import logging
import threading

from _hangkit import ready, setup_logging

log = logging.getLogger("cache")

cache_lock = threading.Lock()
cache = {"warm": True}


def warm_cache():
    cache_lock.acquire()  # LINE:loader_acquire
    if cache.get("warm"):
        log.info("cache already warm")
        return
    cache["warm"] = True
    cache_lock.release()


def read_cache(key):
    with cache_lock:  # LINE:wait
        return cache.get(key)


def main():
    setup_logging()
    loader = threading.Thread(target=warm_cache, name="loader")
    loader.start()
    loader.join()
    ready()
    read_cache("warm")  # LINE:main_call


if __name__ == "__main__":
    main()
