"""Healthy, idle: a link checker maps fetch() over URLs on a multiprocessing.pool.ThreadPool(4)
with imap_unordered; every fetch waits for a slow server (sleeps). The main thread waits for the
first result."""
import time
from multiprocessing.pool import ThreadPool

from _appkit import ready

URLS = ["https://example.org/page/%d" % n for n in range(8)]


def fetch(url):
    if url.endswith("/0"):
        ready()
    time.sleep(600)
    return url, 200


def main():
    with ThreadPool(4) as pool:
        for url, status in pool.imap_unordered(fetch, URLS):
            print(url, status)


if __name__ == "__main__":
    main()
