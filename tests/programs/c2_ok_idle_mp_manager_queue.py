"""Healthy, idle: a multiprocessing.Manager shares a queue and a lock between the parent and a
worker process. The worker holds the manager's lock while it slowly builds a report (a sleep);
the parent's status thread waits for that lock and the main thread waits in queue.get() for the
report. Every wait goes through a socket to the manager's process."""
import multiprocessing
import threading
import time

from _appkit import ready


def worker(q, lock):
    with lock:
        time.sleep(3600)
        q.put("report")


def status(lock):
    with lock:
        print("status: idle", flush=True)


def main():
    with multiprocessing.Manager() as manager:
        q = manager.Queue()
        lock = manager.Lock()
        p = multiprocessing.Process(target=worker, args=(q, lock), name="reporter")
        p.start()
        time.sleep(0.5)
        threading.Thread(target=status, args=(lock,), name="status", daemon=True).start()
        time.sleep(0.3)
        ready()
        print(q.get(), flush=True)
        p.join()


if __name__ == "__main__":
    main()
