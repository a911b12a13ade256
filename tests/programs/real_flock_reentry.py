"""Hang in one thread: a helper locks a file that its caller already locked.

`locked(path)` opens the file and takes an exclusive flock(). save_settings() uses it, and so
does the migration that calls save_settings() while it holds the same file's lock. An flock()
belongs to the open file that took it: the helper's second open() makes a new open file, whose
lock waits for the caller's, which is released only after the helper returns.
"""
import contextlib
import fcntl
import os
import tempfile
import threading

from _appkit import ready

SETTINGS = os.path.join(tempfile.mkdtemp(prefix="pyhang-settings-"), "settings.json")


@contextlib.contextmanager
def locked(path):
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # LINE:helper_flock
        yield f


def save_settings(text):
    with locked(SETTINGS) as f:
        f.write(text)


def migrate():
    with locked(SETTINGS):  # LINE:migrate_with
        threading.Timer(0.5, ready).start()
        save_settings('{"version": 2}')  # LINE:migrate_save


if __name__ == "__main__":
    migrate()
