"""Healthy, busy: a bounded buffer guarded by a Condition over an RLock; put() and get() are
called from helpers that already hold the RLock (re-entered), two producers and two consumers
hand items back and forth at full speed."""
import threading
import time

from _appkit import ready

lock = threading.RLock()
cond = threading.Condition(lock)
buf = []


def put(x):
    with lock:
        with cond:
            while len(buf) >= 4:
                cond.wait()
            buf.append(x)
            cond.notify_all()


def get():
    with lock:
        with cond:
            while not buf:
                cond.wait()
            x = buf.pop(0)
            cond.notify_all()
            return x


def producer():
    n = 0
    while True:
        with lock:
            put(n)
        n += 1


def consumer():
    while True:
        with lock:
            get()


def main():
    for f, name in ((producer, "producer-0"), (producer, "producer-1"), (consumer, "consumer-0"), (consumer, "consumer-1")):
        threading.Thread(target=f, name=name, daemon=True).start()
    time.sleep(0.5)
    ready()
    while True:
        time.sleep(0.05)


main()
