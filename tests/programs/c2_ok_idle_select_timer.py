"""Healthy, idle: a cache invalidation watcher. Thread "watcher" waits in select.select() (no
timeout) on the read end of a self-pipe; a threading.Timer writes to the pipe when the cache
entry expires (in an hour). The main thread joins the watcher."""
import os
import select
import threading

from _appkit import ready


class ExpiryWatcher:
    def __init__(self, ttl):
        self.read_fd, self.write_fd = os.pipe()
        self.timer = threading.Timer(ttl, self.expire)  # LINE:timer
        self.timer.name = "expiry-timer"
        self.expired = []

    def expire(self):
        os.write(self.write_fd, b"x")

    def watch(self):
        while True:
            readable, _, _ = select.select([self.read_fd], [], [])  # LINE:select
            if readable:
                os.read(self.read_fd, 64)
                self.expired.append("session-cache")
                return


def main():
    watcher = ExpiryWatcher(3600.0)
    watcher.timer.start()
    thread = threading.Thread(target=watcher.watch, name="watcher")
    thread.start()
    ready()
    thread.join()  # LINE:main_join


if __name__ == "__main__":
    main()
