"""Helpers shared by the hang_*.py programs (imported, never run directly).

Every hang_*.py program prints `READY <pid>` (flushed) once it has reached, or is about to
reach, its final hung state. `Rendezvous` makes the threads of a lock-order deadlock each take
their first lock before any of them goes for its second one, without sleeping, and lets the main
thread know when they are all on their way into the final, blocking call.
"""
import logging
import os
import sys
import threading


def ready():
    """Print the READY line the test harness waits for, in one write(2): other threads log to
    stderr, which shares the pipe, and must not split the line."""
    sys.stdout.flush()
    sys.stderr.flush()  # before 3.9 a non-interactive stderr is block-buffered
    os.write(sys.stdout.fileno(), f"READY {os.getpid()}\n".encode())


def setup_logging():
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s: %(message)s")


class Rendezvous:
    """`meet()` returns once `parties` threads have called it; `wait_all()` (in the main thread)
    returns once they all have."""

    def __init__(self, parties):
        self.parties = parties
        self._barrier = threading.Barrier(parties)
        self._arrived = threading.Semaphore(0)

    def meet(self):
        self._barrier.wait()
        self._arrived.release()

    def arrive(self):
        self._arrived.release()

    def wait_all(self, count=None):
        for _ in range(self.parties if count is None else count):
            self._arrived.acquire()


if __name__ == "__main__":
    sys.exit("this module is imported by the hang_*.py programs")
