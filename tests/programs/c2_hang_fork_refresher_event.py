"""Hang: a service warms its price cache in a background refresher thread, then forks its
job workers (multiprocessing with the fork start method). Each worker waits for the
'cache ready' event before it takes jobs, but a forked child has only the thread that
forked it: the refresher that sets the event exists in the parent alone."""
import multiprocessing
import threading
import time

from _appkit import ready

cache_ready = threading.Event()
prices = {}


def fetch_prices():
    time.sleep(1)  # a slow price feed
    return {"EUR": 1.08, "GBP": 1.27}


def refresh_loop():
    while True:
        prices.update(fetch_prices())
        cache_ready.set()  # LINE:set
        time.sleep(600)


def handle_jobs(n):
    cache_ready.wait()  # LINE:wait_cache
    print("worker", n, "ready with", len(prices), "prices")


def main():
    threading.Thread(target=refresh_loop, name="refresher", daemon=True).start()
    ctx = multiprocessing.get_context("fork")
    worker = ctx.Process(target=handle_jobs, args=(1,), name="job-worker")
    worker.start()
    threading.Timer(0.5, ready).start()
    worker.join()  # LINE:join


if __name__ == "__main__":
    main()
