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
    sys.stderr.flush()  # before 3.9 a non-interactive stderr is block-buffered
    print(f"READY {os.getpid()}", flush=True)


def arrived(semaphore):
    """Tell the main thread that this thread is about to block (see wait_for)."""
    semaphore.release()


def wait_for(semaphore, count):
    for _ in range(count):
        semaphore.acquire()


def asyncio_run():
    """asyncio.run (3.7+); on 3.6, which has none, a function doing the same by hand."""
    import asyncio

    def run(main):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)

    return getattr(asyncio, "run", run)


class _NullContext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


def nullcontext(value):
    """contextlib.nullcontext (3.7+), or the same on 3.6."""
    import contextlib
    return getattr(contextlib, "nullcontext", _NullContext)(value)


if __name__ == "__main__":
    sys.exit("this module is imported by the test programs")
