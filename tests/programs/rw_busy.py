"""Busy, never stuck (for `pyhang run --idle`): the main thread joins a worker that computes for
SECONDS (argument, default 4), then the program exits with status 3. The main thread's stack
never changes, but the process uses CPU the whole time."""
import sys
import threading
import time

from _appkit import ready


def crunch(seconds):
    deadline = time.time() + seconds
    total = 0
    while time.time() < deadline:
        total += sum(range(1000))


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    worker = threading.Thread(target=crunch, args=(seconds,), name="cruncher")
    worker.start()
    ready()
    worker.join()
    sys.exit(3)


if __name__ == "__main__":
    main()
