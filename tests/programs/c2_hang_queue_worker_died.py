"""Hang: Queue.join() after the only worker died. The thumbnail worker crashes with a KeyError
on a job without a "size" (an uncaught exception ends the thread); the jobs it never marked done
keep the main thread in jobs.join() forever."""
import queue
import threading

from _appkit import ready

jobs = queue.Queue()
made = []


def worker():
    while True:
        job = jobs.get()  # LINE:worker_get
        width, height = job["size"]  # raises KeyError for the malformed job: the thread dies
        made.append((job["name"], width * height))
        jobs.task_done()


def main():
    for name in ("cover.png", "logo.png", "banner.png"):
        jobs.put({"name": name, "size": (64, 64)} if name != "logo.png" else {"name": name})
    thread = threading.Thread(target=worker, name="thumbnailer", daemon=True)
    thread.start()
    thread.join()  # the worker died
    ready()
    jobs.join()  # LINE:main_join


if __name__ == "__main__":
    main()
