"""Healthy, idle: a cron-style job waits for the lock file another run of it holds.

The other run (a child here, standing for any process) holds an exclusive flock() on the lock
file while it works (sleeps); this one blocks in flock() until that run ends. Read without
--children, the holder is outside the report: a wait, not a deadlock, with the holder named.
"""
import fcntl
import os
import subprocess
import sys
import tempfile

from _appkit import ready

LOCK = os.path.join(tempfile.mkdtemp(prefix="pyhang-cron-"), "backup.lock")

HOLDER = """
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(1000)
"""


def main():
    other = subprocess.Popen([sys.executable, "-c", HOLDER, LOCK], stdout=subprocess.PIPE)
    other.stdout.readline()
    with open(LOCK, "a") as f:
        ready()
        fcntl.flock(f, fcntl.LOCK_EX)  # LINE:flock_wait
        f.write("backup done\n")


if __name__ == "__main__":
    main()
