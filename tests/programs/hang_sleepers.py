"""Not a deadlock: threads sleeping in time.sleep(), the main thread joins them.

Threads "poller-1" and "poller-2" poll a status every hour (time.sleep(3600)); the main thread
waits in join() for poller-1. A sleeping thread will wake up: nothing is stuck.
"""
import logging
import threading
import time

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("poller")


def poll(name, arrivals):
    arrivals.arrive()
    while True:
        time.sleep(3600)  # LINE:sleep
        log.info("%s: polled", name)


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(2)
    pollers = [threading.Thread(target=poll, args=(f"poller-{n}", arrivals), name=f"poller-{n}") for n in (1, 2)]
    for p in pollers:
        p.start()
    arrivals.wait_all()
    ready()
    for p in pollers:
        p.join()  # LINE:join
