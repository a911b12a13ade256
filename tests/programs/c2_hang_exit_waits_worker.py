"""Hang at exit: the script returns, but its non-daemon consumer still waits in jobs.get() for a
sentinel the script never put (it forgot the shutdown step). The interpreter waits for the
consumer in threading's shutdown forever."""
import queue
import threading

from _appkit import ready

jobs = queue.Queue()
done = []


def consumer():
    while True:
        item = jobs.get()  # LINE:get
        if item is None:
            return
        done.append(item * 2)


worker = threading.Thread(target=consumer, name="consumer")
worker.start()
for i in range(10):
    jobs.put(i)
threading.Timer(0.3, ready).start()
