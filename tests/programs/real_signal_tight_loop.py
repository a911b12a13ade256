"""Hang: a SIGUSR2 handler takes a lock the interrupted main thread holds inside a tight loop.
The index compactor counts through its slots under `self.lock` in a loop with no calls in it, so
the only place the interpreter runs a signal handler is the loop's backward jump (on 3.11+ that
instruction lies outside the exception-table range of the with block around the loop). The
"stats" thread sends SIGUSR2 during the compaction; the handler (Index.on_stats) waits for the
lock its own thread holds."""
import os
import signal
import threading
import time

from _appkit import ready


class Index:
    def __init__(self):
        self.lock = threading.Lock()
        self.slots = 1 << 60
        self.compacting = threading.Event()
        self.stats = {}

    def on_stats(self, signum, frame):
        with self.lock:  # LINE:handler_with
            self.stats = {"slots": self.slots}

    def compact(self):
        with self.lock:  # LINE:compact_with
            self.compacting.set()
            i = 0
            while i < self.slots:  # LINE:compact_loop
                i += 1


def stats(index):
    index.compacting.wait()
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGUSR2)
    time.sleep(0.5)
    ready()


def main():
    index = Index()
    signal.signal(signal.SIGUSR2, index.on_stats)
    threading.Thread(target=stats, args=(index,), name="stats").start()
    index.compact()  # LINE:main_compact


if __name__ == "__main__":
    main()
