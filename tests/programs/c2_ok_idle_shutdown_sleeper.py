"""Healthy: main's script ended and the interpreter waits for the non-daemon metrics thread,
which wakes every 2 s to flush and stops after an hour."""
import threading
import time

from _appkit import ready

flushed = []


def metrics():
    for _ in range(1800):
        time.sleep(2)  # LINE:sleep
        flushed.append(time.time())


threading.Thread(target=metrics, name="metrics").start()
threading.Timer(0.3, ready).start()
