"""Hang at exit: the script's last line ran, but the interpreter waits for its non-daemon
uploader thread, which waits in jobs.get() for a job or a stop sentinel that main never sends."""
import queue
import threading
import time

from _appkit import ready

jobs = queue.Queue()
done = []


def uploader():
    while True:
        item = jobs.get()  # LINE:get
        if item is None:
            return
        done.append(item)


t = threading.Thread(target=uploader, name="uploader")
t.start()
for i in range(5):
    jobs.put(f"report-{i}.csv")
while len(done) < 5:
    time.sleep(0.01)
threading.Timer(0.3, ready).start()
done.append("queued")
