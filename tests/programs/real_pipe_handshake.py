"""Hang across processes: a supervisor and its worker each wait for the other to speak first.

The supervisor starts a worker with one end of a multiprocessing.Pipe and waits in recv() for
the worker's "hello"; the worker, written against an older protocol, waits in recv() for the
supervisor's configuration before it says anything. Both ends are held only by these two
processes, and each of them is blocked reading: nothing will ever be written.
"""
import multiprocessing
import sys
import threading
import time

from _appkit import ready


def worker(conn):
    config = conn.recv()  # LINE:worker_recv
    conn.send(("hello", config))


def main():
    if sys.version_info >= (3, 4):
        multiprocessing.set_start_method("fork" if sys.platform == "linux" else "spawn", force=True)
    parent_end, child_end = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=worker, args=(child_end,), name="rpc-worker")
    proc.start()
    threading.Timer(0.5, ready).start()
    greeting = parent_end.recv()  # LINE:supervisor_recv
    print(greeting)
    proc.join()


if __name__ == "__main__":
    main()
