"""Not a deadlock: a daemon that shuts down on SIGTERM through a self-pipe.

The SIGTERM handler writes a byte into a pipe; the "shutdown-watcher" thread blocks in
os.read() on the pipe's read end and, when it gets the byte, stops the service. The main thread
joins the watcher. Only this process holds the pipe, and every thread waits, but the handler
runs in the main thread and writes the pipe: a signal ends the wait.
"""
import os
import signal
import threading

from _appkit import ready


class Service:
    def __init__(self):
        self.r, self.w = os.pipe()
        self.stopped = False

    def on_term(self, signum, frame):
        os.write(self.w, b"T")

    def watch(self):
        os.read(self.r, 1)  # LINE:watch_read
        self.stopped = True


def main():
    svc = Service()
    signal.signal(signal.SIGTERM, svc.on_term)
    watcher = threading.Thread(target=svc.watch, name="shutdown-watcher")
    watcher.start()
    threading.Timer(0.5, ready).start()
    watcher.join()  # LINE:main_join


if __name__ == "__main__":
    main()
