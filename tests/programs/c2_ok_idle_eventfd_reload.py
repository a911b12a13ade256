"""Healthy, idle (3.10+): a service reloads its configuration when an eventfd is bumped; the
SIGHUP handler bumps it. The reloader thread blocks reading the eventfd, the main thread joins
it: a signal can still wake the program."""
import os
import signal
import threading

from _appkit import ready

reload_fd = os.eventfd(0)


def on_sighup(signum, frame):
    os.eventfd_write(reload_fd, 1)


def reloader():
    while True:
        count = os.eventfd_read(reload_fd)  # LINE:eventfd_read
        print("reloading (%d requests)" % count, flush=True)


def main():
    signal.signal(signal.SIGHUP, on_sighup)
    worker = threading.Thread(target=reloader, name="reloader")
    worker.start()
    ready()
    worker.join()


if __name__ == "__main__":
    main()
