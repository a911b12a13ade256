"""Hang: a pre-fork master starts its workers with os.fork(); each worker first reads its
settings from a pipe the master writes. The master was changed to reap workers with
os.wait() in its main loop before it sends them their settings: the workers wait for the
master to write, the master for a worker to exit."""
import json
import os
import threading

from _appkit import ready


def worker(n, settings_fd):
    threading.current_thread().name = "worker-%d" % n
    with os.fdopen(settings_fd, "rb") as pipe:
        settings = json.loads(pipe.readline())  # LINE:worker_read
    print("worker", os.getpid(), "serving on", settings["port"])
    os._exit(0)


def main():
    pipes = []
    for n in range(2):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            worker(n, r)
        os.close(r)
        pipes.append(w)
    threading.Timer(0.5, ready).start()
    while True:
        pid, status = os.wait()  # LINE:master_wait
        print("worker", pid, "exited with", status)
    for w in pipes:
        os.write(w, json.dumps({"port": 8000}).encode() + b"\n")


main()
