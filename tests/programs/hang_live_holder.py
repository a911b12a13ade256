"""Not a deadlock: the lock the main thread waits for is held by a live thread that is sleeping.

Thread "bootstrap" ran and exited earlier (the main thread joined it and keeps its Thread
object). Thread "poller" - started before the bootstrap thread, so the two never share a thread
identity - took session_lock with acquire() and is now sleeping (time.sleep) until the next poll
while it holds it; the main thread waits for session_lock. The poller wakes up and releases the
lock: slow, but not a deadlock, and certainly not a lock held by a thread that has exited.
"""
import logging
import threading
import time

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("session")
session_lock = threading.Lock()
session = {}


def bootstrap():
    session["token"] = "abc"


def poll(arrivals):
    session_lock.acquire()  # LINE:poller_acquire
    try:
        arrivals.arrive()
        time.sleep(3600)  # LINE:poller_sleep
        session["token"] = "refreshed"
    finally:
        session_lock.release()


def main():
    setup_logging()
    arrivals = Rendezvous(1)
    poller = threading.Thread(target=poll, args=(arrivals,), name="poller", daemon=True)
    poller.start()
    arrivals.wait_all()
    boot = threading.Thread(target=bootstrap, name="bootstrap")
    boot.start()
    boot.join()
    ready()
    with session_lock:  # LINE:main_wait
        log.info("token %s", session["token"])


if __name__ == "__main__":
    main()
