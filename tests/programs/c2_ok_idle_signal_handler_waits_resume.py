"""Healthy, idle: a job runner pauses on SIGTSTP-like SIGUSR1 (its handler waits for `resumed`)
and resumes on SIGUSR2, whose handler sets `resumed`. Paused now: the main thread waits inside the
SIGUSR1 handler; only SIGUSR2 can wake it, which is what an operator sends."""
import os
import signal
import threading
import time

from _appkit import ready

resumed = threading.Event()


def on_pause(signum, frame):
    resumed.clear()
    print("paused", flush=True)
    resumed.wait()


def on_resume(signum, frame):
    resumed.set()


def main():
    signal.signal(signal.SIGUSR1, on_pause)
    signal.signal(signal.SIGUSR2, on_resume)
    threading.Timer(0.3, ready).start()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1)).start()
    done = 0
    while True:
        time.sleep(0.05)
        done += 1


main()
