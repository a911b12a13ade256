"""Healthy, busy: workers process a stream of jobs from a queue.Queue while a stats thread reads
the backlog under the queue's own mutex (`with q.mutex: len(q.queue)`) and a producer refills."""
import queue
import threading
import time

from _appkit import ready

jobs = queue.Queue(maxsize=64)
done = [0]


def producer():
    n = 0
    while True:
        jobs.put(n)
        n += 1


def worker():
    while True:
        job = jobs.get()
        sum(range(job % 50))
        done[0] += 1
        jobs.task_done()


def stats():
    while True:
        with jobs.mutex:
            backlog = len(jobs.queue)
        if done[0] > 1000 and backlog >= 0:
            pass


def main():
    threading.Thread(target=producer, name="producer", daemon=True).start()
    for n in range(3):
        threading.Thread(target=worker, name="worker-%d" % n, daemon=True).start()
    threading.Thread(target=stats, name="stats", daemon=True).start()
    time.sleep(0.5)
    ready()
    while True:
        time.sleep(0.01)


main()
