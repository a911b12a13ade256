"""Hang in a thread pool: tasks fan out to the pool they run on and wait with futures.wait().

A report renderer runs each page on a 2-worker ThreadPoolExecutor; a page submits its tiles to
the same executor and waits for them with concurrent.futures.wait(). Two pages occupy both
workers, and their tiles sit in the executor's queue behind them: no worker will ever be free
to run a tile. The main thread collects the pages with as_completed(). (The barrier only makes
the order certain: both pages start before either queues its tiles.)
"""
import concurrent.futures
import threading

from _appkit import ready

pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")
both_pages_started = threading.Barrier(2)


def tile(page, i):
    return "page %d tile %d" % (page, i)


def render_page(page):
    both_pages_started.wait()
    tiles = [pool.submit(tile, page, i) for i in range(4)]
    done, _ = concurrent.futures.wait(tiles)  # LINE:page_wait
    return len(done)


def main():
    pages = [pool.submit(render_page, n) for n in range(2)]
    threading.Timer(0.5, ready).start()
    for f in concurrent.futures.as_completed(pages):
        print(f.result())


if __name__ == "__main__":
    main()
