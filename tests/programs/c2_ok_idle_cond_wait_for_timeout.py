"""Healthy, idle: consumers wait for a batch with cond.wait_for(predicate, timeout=5) in a loop;
the producer sleeps an hour between batches."""
import threading
import time

from _appkit import ready

cond = threading.Condition()
batch = []


def consumer(n):
    while True:
        with cond:
            if cond.wait_for(lambda: batch, timeout=5):
                batch.pop()


def producer():
    while True:
        time.sleep(3600)
        with cond:
            batch.append(1)
            cond.notify()


def main():
    for n in range(2):
        threading.Thread(target=consumer, args=(n,), name="consumer-%d" % n, daemon=True).start()
    p = threading.Thread(target=producer, name="producer")
    p.start()
    time.sleep(0.2)
    ready()
    p.join()


main()
