"""Hang: queue.Queue.join() after the only worker died on its first item: two items are left in
the queue and three tasks are unfinished (the one it took and never marked done, and those two)."""
import queue
import threading

from _appkit import ready

jobs = queue.Queue(maxsize=10)


def worker():
    while True:
        item = jobs.get()
        if item == "poison":
            raise ValueError("cannot process " + item)
        jobs.task_done()


def main():
    for item in ("poison", "a", "b"):
        jobs.put(item)
    t = threading.Thread(target=worker, name="worker")
    t.start()
    t.join()
    ready()
    jobs.join()  # LINE:queue_join


if __name__ == "__main__":
    main()
