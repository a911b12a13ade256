"""Healthy, idle (waiting for another program): a nightly job serialises its writers with an
exclusive flock() on a lock file that an external maintenance command (util-linux `flock`
running `sleep`) holds; two writer threads wait in flock(), the main thread joins them."""
import fcntl
import os
import subprocess
import tempfile
import threading
import time

from _appkit import ready

LOCK_PATH = os.path.join(tempfile.gettempdir(), "pyhang-nightly-%d.lock" % os.getpid())


def writer(name):
    with open(LOCK_PATH, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # LINE:writer_flock
        f.write(name + "\n")
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def main():
    maintenance = subprocess.Popen(["flock", LOCK_PATH, "sleep", "3600"])
    while True:  # until the maintenance command holds the lock
        with open(LOCK_PATH, "a") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            except BlockingIOError:
                break
        time.sleep(0.01)
    workers = [threading.Thread(target=writer, args=("w%d" % i,), name="writer-%d" % i) for i in range(2)]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join
    maintenance.wait()


if __name__ == "__main__":
    main()
