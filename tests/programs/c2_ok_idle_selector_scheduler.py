"""Healthy, idle: a reactor thread waits in select() without a timeout for its wake-up pipe (it
holds nothing while it waits); a scheduler thread sleeps until the next job is due and then wakes
the reactor through the pipe; MainThread joins the reactor. Nothing is deadlocked: the scheduler
wakes up."""
import os
import selectors
import threading
import time

from _appkit import ready

wake_r, wake_w = os.pipe()
lock = threading.Lock()
jobs = []


def reactor():
    selector = selectors.DefaultSelector()
    selector.register(wake_r, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():  # LINE:select
            os.read(key.fd, 512)
        with lock:
            if "stop" in jobs:
                return


def scheduler():
    time.sleep(3600)  # LINE:sleep
    with lock:
        jobs.append("stop")
    os.write(wake_w, b"\0")


def main():
    loop = threading.Thread(target=reactor, name="reactor")
    loop.start()
    threading.Thread(target=scheduler, name="scheduler", daemon=True).start()
    time.sleep(0.3)
    ready()
    loop.join()  # LINE:main_join


if __name__ == "__main__":
    main()
