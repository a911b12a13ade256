"""Not a deadlock: a thread waits forever for an Event that a live, sleeping thread may set.

Thread "waiter" waits in shutdown.wait() (no timeout); thread "ticker" wakes up twice a second
to update statistics and will set `shutdown` when the service is told to stop. The main thread
waits in join() for the waiter.
"""
import threading
import time

from _hangkit import Rendezvous, ready, setup_logging

shutdown = threading.Event()
stats = {"ticks": 0}


def wait_for_shutdown(arrivals):
    arrivals.arrive()
    shutdown.wait()  # LINE:waiter


def tick(arrivals):
    arrivals.arrive()
    while not shutdown.is_set():
        time.sleep(0.5)  # LINE:ticker
        stats["ticks"] += 1
        if stats["ticks"] > 10 ** 9:
            shutdown.set()


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(2)
    waiter = threading.Thread(target=wait_for_shutdown, args=(arrivals,), name="waiter")
    ticker = threading.Thread(target=tick, args=(arrivals,), name="ticker", daemon=True)
    waiter.start()
    ticker.start()
    arrivals.wait_all()
    ready()
    waiter.join()  # LINE:join
