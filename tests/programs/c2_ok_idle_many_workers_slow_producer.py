"""Healthy: 64 download workers wait in jobs.get(); the scheduler puts one URL a minute."""
import queue
import threading
import time

from _appkit import ready

jobs = queue.Queue()
done = []


def worker():
    while True:
        url = jobs.get()  # LINE:worker_get
        done.append(url)
        jobs.task_done()


for i in range(64):
    threading.Thread(target=worker, name="dl-%d" % i, daemon=True).start()
ready()
n = 0
while True:
    time.sleep(60)  # LINE:scheduler_sleep
    jobs.put("https://example.org/%d" % n)
    n += 1
