"""Healthy, idle: a config watcher thread blocks in read() on an inotify descriptor; the main
thread waits for it to report a change. A file written by anyone ends the wait."""
import ctypes
import os
import tempfile
import threading

from _appkit import ready

libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_CLOSE_WRITE = 0x2, 0x8
changed = threading.Event()
config_lock = threading.Lock()


def watcher(fd):
    while True:
        os.read(fd, 4096)  # LINE:inotify_read
        with config_lock:
            changed.set()


def main():
    d = tempfile.mkdtemp()
    fd = libc.inotify_init()
    libc.inotify_add_watch(fd, d.encode(), IN_MODIFY | IN_CLOSE_WRITE)
    threading.Thread(target=watcher, args=(fd,), name="watcher", daemon=True).start()
    ready()
    while True:
        changed.wait()  # LINE:main_wait
        changed.clear()


if __name__ == "__main__":
    main()
