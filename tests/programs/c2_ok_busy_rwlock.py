"""Healthy, busy: a configuration store guarded by a hand-written readers-writer lock (a
Condition and a reader count); four readers and one writer at full speed."""
import threading

from _appkit import ready


class RWLock:
    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False

    def acquire_read(self):
        with self._cond:
            while self._writing:
                self._cond.wait()  # LINE:read_wait
            self._readers += 1

    def release_read(self):
        with self._cond:
            self._readers -= 1
            if self._readers == 0:
                self._cond.notify_all()

    def acquire_write(self):
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()  # LINE:write_wait
            self._writing = True

    def release_write(self):
        with self._cond:
            self._writing = False
            self._cond.notify_all()


settings_lock = RWLock()
settings = {"version": 0}


def reader():
    while True:
        settings_lock.acquire_read()
        try:
            settings.get("version")
        finally:
            settings_lock.release_read()


def writer():
    while True:
        settings_lock.acquire_write()
        try:
            settings["version"] += 1
        finally:
            settings_lock.release_write()


if __name__ == "__main__":
    for i in range(4):
        threading.Thread(target=reader, name="reader-%d" % i, daemon=True).start()
    threading.Thread(target=writer, name="writer", daemon=True).start()
    ready()
    threading.Event().wait()
