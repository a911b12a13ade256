"""Helpers shared by the real_*.py (hangs) and ok_*.py (healthy controls) programs; imported,
never run directly. Portable to CPython 3.6 and later: no walrus, no match, no asyncio.run on
3.6 (aio_run below stands in for it).

`ready()` prints `READY <pid>` in one write(2), once the program reached its steady state (the
hang, or the loop a healthy program keeps running): the test harness waits for that line.
"""
import asyncio
import os
import sys


def ready():
    sys.stdout.flush()
    sys.stderr.flush()  # before 3.9 a non-interactive stderr is block-buffered
    os.write(sys.stdout.fileno(), ("READY %d\n" % os.getpid()).encode())


def aio_run(coro):
    """asyncio.run where it exists (3.7+), the same by hand on 3.6."""
    if hasattr(asyncio, "run"):
        return asyncio.run(coro)
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def create_task(coro, name):
    """loop.create_task with a name where names exist (3.8+)."""
    loop = asyncio.get_event_loop()  # called from a coroutine: the running loop
    if sys.version_info >= (3, 8):
        return loop.create_task(coro, name=name)
    return loop.create_task(coro)


if __name__ == "__main__":
    sys.exit("this module is imported by the real_*.py and ok_*.py programs")
