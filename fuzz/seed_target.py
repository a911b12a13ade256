"""A small hung program whose memory seeds fuzz_readers (see make_seed.py).

Several threads block in different ways (lock-order deadlock, Condition.wait, Queue.get,
Event.wait, RLock held, inside a generator), with locals of many types, so that one snapshot
touches most reader paths. Prints READY <pid> when every thread is parked; runs 3.8 to 3.14.
"""
import collections
import os
import queue
import threading
import time


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.history = [balance, -balance]
        self.lock = threading.Lock()


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = "two"


def locked_pair(first, second, ready):
    with first:
        ready.wait()
        with second:
            pass


def waits_on_condition(cond):
    values = {"small": 1, "big": 2 ** 100, "neg": -12345678901234567890, "float": 2.5,
              "nan": float("nan"), 3: (1, "x", None), "nested": [[1, [2, [3]]]]}
    text = "h\u00e9llo w\u00f6rld \u2603 \U0001F600 'quoted'\n"
    raw = b"\x00\x01bytes'\"\xff"
    items = {1, 2, 3}
    frozen = frozenset({"a"})
    dq = collections.deque(range(70))
    acct = Account("alice", 100)
    slotted = Slotted()
    flag = True
    with cond:
        cond.wait()
    return values, text, raw, items, frozen, dq, acct, slotted, flag


def gets_from_queue(q):
    return q.get()


def generator_waiter(event):
    def gen():
        total = 0
        while True:
            event.wait()
            total += yield total
    g = gen()
    next(g)


def holds_rlock(rlock, event):
    with rlock:
        with rlock:
            event.wait()


def deep(n, event):
    if n == 0:
        event.wait()
        return 0
    local_n = n * 2
    return deep(n - 1, event) + local_n


def main():
    lock_a = threading.Lock()
    lock_b = threading.Lock()
    barrier = threading.Barrier(2)
    cond = threading.Condition()
    jobs = queue.Queue(maxsize=3)
    never = threading.Event()
    rlock = threading.RLock()
    sem = threading.Semaphore(2)
    sem.acquire()

    class Ready:
        def wait(self):
            barrier.wait()
            time.sleep(0.3)

    ready = Ready()
    threads = [
        threading.Thread(target=locked_pair, args=(lock_a, lock_b, ready), name="first"),
        threading.Thread(target=locked_pair, args=(lock_b, lock_a, ready), name="second"),
        threading.Thread(target=waits_on_condition, args=(cond,), name="cond-waiter"),
        threading.Thread(target=gets_from_queue, args=(jobs,), name="consumer"),
        threading.Thread(target=generator_waiter, args=(never,), name="generator"),
        threading.Thread(target=holds_rlock, args=(rlock, never), name="rlock-owner"),
        threading.Thread(target=deep, args=(12, never), name="deep"),
    ]
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(1.0)
    print(f"READY {os.getpid()}", flush=True)
    threads[0].join()


if __name__ == "__main__":
    main()
