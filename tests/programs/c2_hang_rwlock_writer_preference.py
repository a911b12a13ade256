"""Hang: a writer-preferring readers/writer lock. A reader holding the read lock re-acquires it
(a nested helper) while a writer waits for the readers to drain; new readers wait while a writer
waits, so each waits for the other on the lock's Condition."""
import threading
import time

from _appkit import ready


class RWLock:
    def __init__(self):
        self.cond = threading.Condition()
        self.readers = 0
        self.writers_waiting = 0
        self.writing = False

    def acquire_read(self):
        with self.cond:
            while self.writing or self.writers_waiting:
                self.cond.wait()  # LINE:read_wait
            self.readers += 1

    def release_read(self):
        with self.cond:
            self.readers -= 1
            self.cond.notify_all()

    def acquire_write(self):
        with self.cond:
            self.writers_waiting += 1
            while self.writing or self.readers:
                self.cond.wait()  # LINE:write_wait
            self.writers_waiting -= 1
            self.writing = True

    def release_write(self):
        with self.cond:
            self.writing = False
            self.cond.notify_all()


rw = RWLock()
writer_waiting = threading.Event()


def lookup():
    rw.acquire_read()
    try:
        return 1
    finally:
        rw.release_read()


def report():
    rw.acquire_read()
    try:
        writer_waiting.wait()
        time.sleep(0.1)
        return lookup()  # LINE:nested
    finally:
        rw.release_read()


def update():
    time.sleep(0.1)
    writer_waiting.set()
    rw.acquire_write()
    rw.release_write()


def main():
    ts = [threading.Thread(target=report, name="reporter"), threading.Thread(target=update, name="updater")]
    for t in ts:
        t.start()
    time.sleep(0.5)
    ready()
    for t in ts:
        t.join()  # LINE:main_join


main()
