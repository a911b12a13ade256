"""Helpers shared by the test programs in this directory (imported, never run directly).

HELD is a lock that is acquired once and never released: a thread that calls HELD.acquire()
blocks forever in C without using CPU, so its innermost Python frame is the caller's line.
"""
import os
import sys
import threading

HELD = threading.Lock()
HELD.acquire()


def ready():
    """Print the READY line the harness waits for."""
    print(f"READY {os.getpid()}", flush=True)


def arrived(semaphore):
    """Tell the main thread that this thread is about to block (see wait_for)."""
    semaphore.release()


def wait_for(semaphore, count):
    for _ in range(count):
        semaphore.acquire()


if __name__ == "__main__":
    sys.exit("this module is imported by the test programs")
