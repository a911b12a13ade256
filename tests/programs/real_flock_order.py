"""Hang across processes: two file locks (flock) taken in opposite orders.

A batch scheduler locks the job queue file, then the state file, to move a job; the indexer
process it started locks the state file, then the queue file, to compact them. Each holds the
lock the other waits for. flock() locks are not checked for deadlocks by the kernel (only POSIX
record locks are), so both wait forever.
"""
import fcntl
import multiprocessing
import os
import sys
import tempfile
import threading

from _appkit import ready

SPOOL = tempfile.mkdtemp(prefix="pyhang-spool-")
QUEUE = os.path.join(SPOOL, "jobs.queue")
STATE = os.path.join(SPOOL, "jobs.state")


def indexer(state_taken):
    with open(STATE, "a") as state:
        fcntl.flock(state, fcntl.LOCK_EX)  # LINE:indexer_state
        state_taken.set()
        with open(QUEUE, "a") as queue:
            fcntl.flock(queue, fcntl.LOCK_EX)  # LINE:indexer_queue
            queue.write("compacted\n")


def main():
    if sys.version_info >= (3, 4):
        multiprocessing.set_start_method("fork" if sys.platform == "linux" else "spawn", force=True)
    for path in (QUEUE, STATE):
        open(path, "a").close()
    with open(QUEUE, "a") as queue:
        fcntl.flock(queue, fcntl.LOCK_EX)  # LINE:scheduler_queue
        state_taken = multiprocessing.Event()
        proc = multiprocessing.Process(target=indexer, args=(state_taken,), name="indexer")
        proc.start()
        state_taken.wait()
        threading.Timer(0.5, ready).start()
        with open(STATE, "a") as state:
            fcntl.flock(state, fcntl.LOCK_EX)  # LINE:scheduler_state
            state.write("job moved\n")
    proc.join()


if __name__ == "__main__":
    main()
