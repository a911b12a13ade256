"""Healthy, idle: a child process took a multiprocessing lock and was then stopped (SIGSTOP, as
a job-control suspend would); the parent waits for the lock. SIGCONT to the child ends the wait."""
import multiprocessing
import os
import signal
import time

from _appkit import ready


def child(lock, taken):
    lock.acquire()
    taken.set()
    while True:
        time.sleep(0.05)  # LINE:child_sleep
    lock.release()


def main():
    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    taken = ctx.Event()
    p = ctx.Process(target=child, args=(lock, taken), name="holder")
    p.start()
    taken.wait()
    os.kill(p.pid, signal.SIGSTOP)
    ready()
    with lock:  # LINE:parent_lock
        pass


if __name__ == "__main__":
    main()
