"""Healthy, idle: a supervisor thread "supervisor" holds `workers_lock` while it waits in
multiprocessing.connection.wait() on the sentinels of two worker processes (they sleep an hour,
standing for long jobs); "status" waits for workers_lock; MainThread joins supervisor.
Right verdict: NO deadlock (waiting for child processes that will exit)."""
import multiprocessing
import threading
import time
from multiprocessing.connection import wait

from _appkit import ready

workers_lock = threading.Lock()


def job(n):
    time.sleep(3600)


def supervisor(procs):
    with workers_lock:  # LINE:sup_with
        pending = {p.sentinel: p for p in procs}
        while pending:
            for s in wait(list(pending)):  # LINE:wait
                pending.pop(s).join()


def status():
    with workers_lock:
        pass


def main():
    procs = [multiprocessing.Process(target=job, args=(i,), name="job-%d" % i) for i in range(2)]
    for p in procs:
        p.start()
    sup = threading.Thread(target=supervisor, args=(procs,), name="supervisor")
    sup.start()
    time.sleep(0.1)
    threading.Thread(target=status, name="status").start()
    time.sleep(0.2)
    ready()
    sup.join()


if __name__ == "__main__":
    main()
