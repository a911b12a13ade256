"""Hang: an applier thread takes the state RLock with acquire() and releases it only on the
happy path; a bad job raises between the two, the worker catches the error and waits for the
next job still owning the lock. The main thread needs the lock to queue that job."""
import queue
import threading
import time

from _appkit import ready

state_lock = threading.RLock()
jobs = queue.Queue()
state = {"applied": 0}


def apply(job):
    state_lock.acquire()  # LINE:leak
    if job < 0:
        raise ValueError("bad job %d" % job)
    state["applied"] += job
    state_lock.release()


def applier():
    while True:
        job = jobs.get()  # LINE:get
        try:
            apply(job)
        except ValueError as e:
            print("skipped:", e)
        jobs.task_done()


def main():
    threading.Thread(target=applier, name="applier", daemon=True).start()
    jobs.put(-1)
    jobs.join()
    time.sleep(0.2)
    ready()
    with state_lock:  # LINE:main_with
        jobs.put(2)
    jobs.join()


if __name__ == "__main__":
    main()
