"""Healthy, idle: a child process holds a lockf() lock on the state file while it sleeps; a
thread of the parent waits for the same lock; main joins the thread."""
import fcntl
import os
import subprocess
import sys
import tempfile
import threading
import time

from _appkit import ready

HOLDER = """
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(3600)
"""


def update(path):
    with open(path, "r+") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        f.write("x")


def main():
    fd, path = tempfile.mkstemp()
    os.write(fd, b"state")
    os.close(fd)
    child = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdout=subprocess.PIPE)
    child.stdout.readline()
    t = threading.Thread(target=update, args=(path,), name="updater")
    t.start()
    time.sleep(0.3)
    ready()
    t.join()
    child.wait()


main()
