"""Hang: a requeue helper takes the queue's own mutex to inspect the backlog and, still inside
`with jobs.mutex:`, calls jobs.put(): put() needs the same (non-reentrant) mutex. Two workers wait
in jobs.get() for that mutex too."""
import queue
import threading
import time

from _appkit import ready

jobs = queue.Queue()


def worker():
    while True:
        job = jobs.get()
        jobs.task_done()


def requeue(job):
    with jobs.mutex:  # LINE:mutex_with
        if job not in jobs.queue:
            jobs.put(job)  # LINE:put


def main():
    for n in range(2):
        threading.Thread(target=worker, name="worker-%d" % n, daemon=True).start()
    time.sleep(0.2)
    threading.Timer(0.5, ready).start()
    requeue("job-1")


main()
