"""Hang: a connection manager starts its reader thread while holding its lock and waits for the
reader's `ready` event; the reader registers itself under the same lock before setting `ready`."""
import threading
import time

from _appkit import ready


class Manager:
    def __init__(self):
        self.lock = threading.Lock()
        self.readers = []

    def add_reader(self, name):
        r = Reader(self, name)
        with self.lock:  # LINE:add_with
            r.start()
            r.ready.wait()  # LINE:add_wait
        return r


class Reader(threading.Thread):
    def __init__(self, manager, name):
        threading.Thread.__init__(self, name=name, daemon=True)
        self.manager = manager
        self.ready = threading.Event()

    def run(self):
        with self.manager.lock:  # LINE:run_with
            self.manager.readers.append(self)
        self.ready.set()
        time.sleep(3600)


def main():
    threading.Timer(0.5, ready).start()
    Manager().add_reader("reader-1")


main()
