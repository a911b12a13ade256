"""Three dining philosophers, each taking the fork on the left, then the fork on the right.

The forks are RLocks taken with acquire() (and released in finally blocks): philosopher-0 holds
fork 0 and waits for fork 1, philosopher-1 holds fork 1 and waits for fork 2, philosopher-2
holds fork 2 and waits for fork 0 - a lock-order cycle of three threads. RLocks record their
owner, so the holders are known although no `with` block shows them. The main thread waits in
join() for philosopher-0.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("table")


class Philosopher(threading.Thread):
    def __init__(self, seat, left, right, table):
        super().__init__(name=f"philosopher-{seat}")
        self.seat = seat
        self.left = left
        self.right = right
        self.table = table
        self.meals = 0

    def run(self):
        self.left.acquire()  # LINE:take_left
        try:
            log.info("took the left fork")
            self.table.meet()
            self.right.acquire()  # LINE:take_right
            try:
                self.meals += 1
            finally:
                self.right.release()
        finally:
            self.left.release()


def main():
    setup_logging()
    forks = [threading.RLock() for _ in range(3)]
    table = Rendezvous(3)
    philosophers = [Philosopher(seat, forks[seat], forks[(seat + 1) % 3], table) for seat in range(3)]
    for philosopher in philosophers:
        philosopher.start()
    table.wait_all()
    ready()
    for philosopher in philosophers:
        philosopher.join()  # LINE:join


if __name__ == "__main__":
    main()
