"""Hang: garbage-collector re-entrancy. A connection pool hands connections out under a
Condition (over a plain Lock). A Connection that was dropped with a reference cycle is freed
only by the garbage collector, and its __del__ gives it back to the pool: `with pool.cond:`.
When a collection starts inside Condition.__exit__, before the lock's release, while the main
thread still holds pool.cond's lock, __del__ waits forever for a lock its own thread holds.

A low threshold makes collections frequent so the program reaches the hang in a moment; a
real service gets there after hours.
"""
import gc
import random
import sys
import threading

from _appkit import ready


class Connection:
    def __init__(self, pool, number):
        self.pool = pool
        self.number = number
        self.myself = self  # a cycle: only the collector frees a dropped connection

    def __del__(self):
        # Only a collection that started inside Condition.__exit__, before it released the lock,
        # is let through to the hang: the point of this program. Elsewhere the connection is
        # simply dropped (see real_gc_pool_checkout.py for the hang wherever the lock is held).
        interrupted = sys._getframe(1)
        if interrupted.f_code.co_name != "__exit__" or not interrupted.f_code.co_filename.endswith("threading.py"):
            return
        if self.pool.lock.locked():  # the only thread that takes it is this one
            ready()
        self.pool.give_back(self.number)  # LINE:del_give_back


class Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.leased = 0
        self.returned = []

    def give_back(self, number):
        with self.cond:  # LINE:give_back_with
            self.returned.append(number)
            if len(self.returned) > 64:
                del self.returned[:32]
            self.cond.notify()

    def checkout(self):
        with self.cond:  # LINE:checkout_with
            self.leased += 1
            conn = Connection(self, self.leased)  # LINE:checkout_new
            tags = [["pool", n] for n in range(random.randrange(8))]
            conn.tags = (tags, self.leased)  # the last allocation before Condition.__exit__
        return conn


def main():
    pool = Pool()
    gc.set_threshold(5, 1000000, 1000000)
    while True:
        conn = pool.checkout()  # LINE:main_checkout
        conn = None  # dropped: the collector frees it, later


if __name__ == "__main__":
    main()
