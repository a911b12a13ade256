"""Hang across processes: a child forked while another thread held an application lock. The
metrics "flusher" thread holds `metrics.lock` most of the time (it writes under it); the main
thread forks a report child with os.fork(); in the child only the forking thread exists, the lock
is still locked and no thread of the child will ever release it. The child waits in
`with self.lock:`, the parent waits in os.waitpid(). Read with --children: the child is stuck whatever the parent's threads do."""
import os
import sys
import threading
import time

from _appkit import ready



class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.points = []

    def flush_forever(self):
        while True:
            with self.lock:  # LINE:flusher_with
                time.sleep(0.5)
                self.points = self.points[-100:]
            time.sleep(0.001)

    def snapshot(self):
        with self.lock:  # LINE:child_with
            return list(self.points)


def main():
    metrics = Metrics()
    threading.Thread(target=metrics.flush_forever, name="flusher", daemon=True).start()
    time.sleep(0.1)
    pid = os.fork()
    if pid == 0:
        points = metrics.snapshot()
        os._exit(0 if points is not None else 1)
    time.sleep(0.8)
    ready()
    os.waitpid(pid, 0)  # LINE:parent_waitpid


if __name__ == "__main__":
    if sys.version_info >= (3, 12):
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
    main()
