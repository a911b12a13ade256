"""Healthy, idle: a worker process waits for a multiprocessing Event that a detached warm-up
helper (double-forked and setsid, so no longer a descendant of the program) sets after a long
warm-up; the parent joins the worker. Inspected with --children, the helper is outside the tree
but maps the Event's semaphores. (The helper leaves as soon as the program is gone.)"""
import multiprocessing as mp
import os
import time

from _appkit import ready


def worker(warm):
    warm.wait()  # LINE:worker_wait


def warm_up(warm, program):
    for _ in range(7200):
        if not os.path.exists("/proc/%d" % program):
            os._exit(0)
        time.sleep(0.5)
    warm.set()
    os._exit(0)


def main():
    ctx = mp.get_context("fork")
    warm = ctx.Event()
    program = os.getpid()
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os.setsid()
            warm_up(warm, program)
        os._exit(0)
    os.waitpid(pid, 0)
    p = ctx.Process(target=worker, args=(warm,), name="worker")
    p.start()
    time.sleep(0.3)
    ready()
    p.join()  # LINE:main_join


if __name__ == "__main__":
    main()
