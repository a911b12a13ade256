"""Healthy, idle: a print spooler. SIGUSR1 means "a new job is in the spool directory": its
handler puts a job on the queue that two printer threads wait on (no timeout). The main thread
sits in signal.pause(). Everything waits, but a signal wakes it up."""
import queue
import signal
import threading

from _appkit import ready

jobs = queue.Queue()
counter = {"n": 0}


def on_new_job(signum, frame):
    counter["n"] += 1
    jobs.put("job-%d" % counter["n"])


def printer():
    while True:
        job = jobs.get()  # LINE:printer_get
        print("printing", job, flush=True)
        jobs.task_done()


def main():
    signal.signal(signal.SIGUSR1, on_new_job)
    for i in range(2):
        threading.Thread(target=printer, name="printer-%d" % i, daemon=True).start()
    ready()
    while True:
        signal.pause()  # LINE:pause


if __name__ == "__main__":
    main()
