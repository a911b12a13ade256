"""Hang: a batch job renders pages in a multiprocessing.Pool; one page makes its worker use too
much memory and the OOM killer ends it (SIGKILL stands in for it here). The Pool starts a new
worker, but the page's job is lost: map_async(...).get() waits forever for a result no worker
computes. Read with --children: every worker is idle, waiting for work."""
import multiprocessing
import os
import signal
import time

from _appkit import ready


def render(page):
    if page == 3:  # the huge page
        os.kill(os.getpid(), signal.SIGKILL)
    return "page %d: %d bytes" % (page, page * 4096)


def main():
    # fork: the same process tree on every version (3.14 starts workers from a forkserver)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        first = {p.pid for p in pool._pool}
        pages = pool.map_async(render, range(6), chunksize=1)
        # The pool replaces the killed worker; then both workers are idle.
        deadline = time.time() + 60
        while time.time() < deadline and {p.pid for p in pool._pool} == first:
            time.sleep(0.05)
        time.sleep(0.5)
        ready()
        print(pages.get())  # LINE:get


if __name__ == "__main__":
    main()
