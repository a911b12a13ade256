"""Hang: an image thumbnailer resizes in a multiprocessing.Pool of processes; apply_async's
callback (run by the pool's result-handler thread in the parent) stores the thumbnail under
catalog_lock. The main thread holds catalog_lock while it waits for that thumbnail, which the
result handler marks ready only after the callback, blocked on catalog_lock, returns.

(One job only: from 3.8 a result left in the pool's result pipe, unread because the result
handler is stuck, keeps the pool's worker-handler thread spinning; the hang is the same.)"""
import multiprocessing
import threading

from _appkit import ready

catalog_lock = threading.Lock()
catalog = {}


def thumbnail(name):
    return name, name.replace(".jpg", "_thumb.jpg")


def store(result):
    name, thumb = result
    with catalog_lock:  # LINE:store_with
        catalog[name] = thumb


def main():
    with multiprocessing.Pool(2) as pool:
        with catalog_lock:  # LINE:main_with
            pending = pool.apply_async(thumbnail, ("beach.jpg",), callback=store)
            threading.Timer(0.5, ready).start()
            print(pending.get())  # LINE:main_get


if __name__ == "__main__":
    main()
