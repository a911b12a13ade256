"""Healthy, idle: a job daemon. A SIGTERM handler sets the `stop` Event; the main thread waits in
stop.wait() (no timeout) and then shuts the workers down. Two workers wait in jobs.get() (no
timeout) for jobs nobody has submitted yet. Everything waits, but a signal wakes it up: not a
deadlock."""
import queue
import signal
import threading

from _appkit import ready

stop = threading.Event()
jobs = queue.Queue()


def on_sigterm(signum, frame):
    stop.set()


def worker():
    while True:
        job = jobs.get()  # LINE:worker_get
        if job is None:
            return
        job()


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    workers = [threading.Thread(target=worker, name="worker-%d" % i) for i in range(2)]
    for w in workers:
        w.start()
    ready()
    stop.wait()  # LINE:main_wait
    for _ in workers:
        jobs.put(None)
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
