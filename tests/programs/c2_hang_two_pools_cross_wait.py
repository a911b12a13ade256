"""Hang: a crawler with a one-worker 'fetch' pool and a one-worker 'parse' pool. A fetch task
waits for the parse of its page, and a parse task waits for the fetch of the next page: each
waits for a future queued behind the other pool's only worker, which is itself waiting."""
import concurrent.futures as cf
import threading
import time

from _appkit import ready

fetch_pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch")
parse_pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
both_running = threading.Barrier(2)


def fetch(url):
    both_running.wait()
    return parse_pool.submit(parse, url).result()  # LINE:fetch_wait


def parse(url):
    both_running.wait()
    return fetch_pool.submit(fetch, url + "/next").result()  # LINE:parse_wait


def main():
    first = fetch_pool.submit(fetch, "https://example.org/a")
    second = parse_pool.submit(parse, "https://example.org/b")
    time.sleep(0.3)
    ready()
    print(first.result(), second.result())  # LINE:main


if __name__ == "__main__":
    main()
