"""Not a deadlock: an idle ThreadPoolExecutor while the main thread sleeps.

The executor's three workers ("fetch_0", "fetch_1", "fetch_2") finished their tasks and wait for
more work; the main thread sleeps (time.sleep(3600)) before submitting the next batch.
"""
import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait

from _hangkit import ready, setup_logging

log = logging.getLogger("fetcher")


def fetch(url):
    time.sleep(0.05)  # overlapping tasks make the executor start all of its workers
    return len(url)


def main():
    setup_logging()
    executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="fetch")
    futures = [executor.submit(fetch, f"https://example.com/{n}") for n in range(6)]
    wait(futures)
    log.info("fetched %d pages", len(futures))
    ready()
    time.sleep(3600)  # LINE:main_sleep


if __name__ == "__main__":
    main()
