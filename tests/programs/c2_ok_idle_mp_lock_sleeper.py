"""Healthy, idle: threads of one process share a multiprocessing.Lock (it also guards a file the
children use); the thread holding it sleeps (a slow disk flush), two others wait for it, main
joins them."""
import multiprocessing
import threading
import time

from _appkit import ready

disk_lock = multiprocessing.Lock()


def flusher():
    with disk_lock:
        time.sleep(3600)


def writer(n):
    with disk_lock:
        print("writer", n, flush=True)


def main():
    f = threading.Thread(target=flusher, name="flusher")
    f.start()
    time.sleep(0.1)
    ws = [threading.Thread(target=writer, args=(n,), name="writer-%d" % n) for n in range(2)]
    for w in ws:
        w.start()
    time.sleep(0.2)
    ready()
    for w in ws:
        w.join()
    f.join()


if __name__ == "__main__":
    main()
