"""Healthy, idle: a job queue whose janitor thread drops stale jobs by taking the queue's own
mutex (`with q.mutex: q.queue.clear()`), as many programs do, then sleeps; two workers wait in
q.get() on the empty queue; main joins the workers."""
import queue
import threading
import time

from _appkit import ready

jobs = queue.Queue()


def janitor():
    while True:
        with jobs.mutex:
            jobs.queue.clear()
        time.sleep(600)


def worker():
    while True:
        job = jobs.get()
        if job is None:
            return
        jobs.task_done()


def main():
    threading.Thread(target=janitor, name="janitor", daemon=True).start()
    ws = [threading.Thread(target=worker, name="worker-%d" % i) for i in range(2)]
    for w in ws:
        w.start()
    time.sleep(0.2)
    ready()
    for w in ws:
        w.join()


main()
