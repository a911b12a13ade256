"""Healthy, idle: a scheduler thread keeps (due time, job) in a PriorityQueue and waits with
get(timeout=...) until the next job is due (an hour away); main joins it."""
import queue
import threading
import time

from _appkit import ready

pending = queue.PriorityQueue()


def scheduler():
    while True:
        try:
            due, name = pending.get(timeout=3600)
        except queue.Empty:
            continue
        delay = due - time.time()
        if delay > 0:
            pending.put((due, name))
            time.sleep(min(delay, 3600))
            continue
        print("run", name, flush=True)


def main():
    pending.put((time.time() + 3600, "rotate-logs"))
    t = threading.Thread(target=scheduler, name="scheduler")
    t.start()
    time.sleep(0.2)
    ready()
    t.join()


main()
