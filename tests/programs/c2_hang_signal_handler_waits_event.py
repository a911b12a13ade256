"""Hang: a SIGUSR1 handler waits for the `flushed` Event, which the main thread's own loop sets
after each flush; the handler runs on the main thread, interrupting that loop, so nothing will
set it."""
import os
import signal
import threading
import time

from _appkit import ready

flushed = threading.Event()


def on_usr1(signum, frame):
    flushed.clear()
    flushed.wait()  # LINE:handler_wait


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    threading.Timer(0.3, ready).start()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1)).start()
    while True:
        time.sleep(0.05)
        flushed.set()


main()
