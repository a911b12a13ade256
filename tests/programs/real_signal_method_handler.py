"""Hang: a SIGUSR1 handler takes a lock the interrupted main thread holds. The job server dumps
its queue on SIGUSR1 (JobServer.on_dump takes `self.lock` to copy the queue); the main thread
holds self.lock while it rebalances the queue, and the "watchdog" thread sends SIGUSR1 when a
rebalance takes too long. The handler runs on the main thread inside its own `with self.lock:`."""
import logging
import os
import signal
import threading
import time

from _appkit import ready

log = logging.getLogger("jobs")


class JobServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.queue = list(range(50))
        self.rebalancing = threading.Event()

    def on_dump(self, signum, frame):
        with self.lock:  # LINE:handler_with
            snapshot = list(self.queue)
        log.warning("queue: %r", snapshot[:5])

    def rebalance(self):
        with self.lock:  # LINE:rebalance_with
            self.rebalancing.set()
            deadline = time.time() + 3.0
            while time.time() < deadline:  # LINE:rebalance_loop
                self.queue.sort(key=lambda j: (j * 7919) % 101)


def watchdog(server):
    server.rebalancing.wait()
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGUSR1)
    time.sleep(0.5)
    ready()


def main():
    server = JobServer()
    signal.signal(signal.SIGUSR1, server.on_dump)
    threading.Thread(target=watchdog, args=(server,), name="watchdog").start()
    server.rebalance()  # LINE:main_rebalance


if __name__ == "__main__":
    main()
