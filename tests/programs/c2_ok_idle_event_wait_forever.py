"""Healthy (runs until Ctrl-C): a job runner starts daemon workers that wait for jobs from a
queue the plugins feed, then parks its main thread in threading.Event().wait() until
KeyboardInterrupt. Nothing can set that Event: the program waits to be interrupted."""
import queue
import threading

from _appkit import ready

jobs = queue.Queue()


def worker():
    while True:
        job = jobs.get()  # LINE:get
        job()


def main():
    for i in range(2):
        threading.Thread(target=worker, name="worker-%d" % i, daemon=True).start()
    ready()
    try:
        threading.Event().wait()  # LINE:forever
    except KeyboardInterrupt:
        print("interrupted")


if __name__ == "__main__":
    main()
