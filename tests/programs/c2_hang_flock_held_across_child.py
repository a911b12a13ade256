"""Hang: a deploy script holds an exclusive flock() on the state file while it runs the
migration step as a child process, and the migration step takes the same flock before it
touches the state. The parent waits for the child; the child waits for the parent's lock."""
import fcntl
import os
import subprocess
import sys
import tempfile

from _appkit import ready

MIGRATE = r'''
import fcntl, sys
with open(sys.argv[1], "a") as state:
    fcntl.flock(state, fcntl.LOCK_EX)
    state.write("migrated\n")
'''


def deploy(path):
    with open(path, "a") as state:
        fcntl.flock(state, fcntl.LOCK_EX)  # LINE:hold
        state.write("deploying\n")
        state.flush()
        migration = subprocess.Popen([sys.executable, "-c", MIGRATE, path])
        ready()
        migration.wait()  # LINE:wait
        fcntl.flock(state, fcntl.LOCK_UN)


if __name__ == "__main__":
    deploy(os.path.join(tempfile.mkdtemp(prefix="deploy-"), "state"))
