"""Healthy, busy: a batch pipeline on queue.SimpleQueue. The "dispatcher" puts jobs on `jobs` and,
after each batch of 50, waits on `batch_done` for the worker that finished the batch's last job;
three workers get() jobs, count them under a lock and report the end of each batch. Every thread
waits in a SimpleQueue.get() much of the time, and 3.13+ hands a put() item straight to a parked
getter, so a snapshot often finds every queue empty while the items are on their way. (3.6 has
no SimpleQueue: queue.Queue stands in.)"""
import queue
import threading

from _appkit import ready

SimpleQueue = getattr(queue, "SimpleQueue", queue.Queue)
jobs = SimpleQueue()
batch_done = SimpleQueue()
stats_lock = threading.Lock()
stats = {"jobs": 0}
BATCH = 50


def dispatcher():
    job = 0
    while True:
        jobs.put(job)
        job += 1
        if job % BATCH == 0:
            batch_done.get()


def worker():
    while True:
        job = jobs.get()
        with stats_lock:
            stats["jobs"] += 1
        if job % BATCH == BATCH - 1:
            batch_done.put(job)


def main():
    threading.Thread(target=dispatcher, name="dispatcher", daemon=True).start()
    for i in range(3):
        threading.Thread(target=worker, name="worker-%d" % i, daemon=True).start()
    ready()
    threading.Event().wait()


if __name__ == "__main__":
    main()
