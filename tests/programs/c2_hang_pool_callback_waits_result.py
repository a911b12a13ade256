"""Hang: a crawler fetches pages on a multiprocessing.pool.ThreadPool; the callback of each
fetch (run by the pool's result-handler thread) parses the page with pool.apply(), which waits for
a result that only the result handler itself would deliver. The main thread waits for the crawl
to finish."""
import threading
from multiprocessing.pool import ThreadPool

from _appkit import ready

pool = ThreadPool(2)
crawl_done = threading.Event()
links = []


def fetch(url):
    return "<a href='%s/about'>about</a>" % url


def extract_links(html):
    return [html.split("'")[1]]


def on_page(html):
    links.extend(pool.apply(extract_links, (html,)))  # LINE:callback_apply
    crawl_done.set()


def main():
    pool.apply_async(fetch, ("https://example.org",), callback=on_page)
    threading.Timer(0.5, ready).start()
    crawl_done.wait()  # LINE:main_wait
    print(links)


if __name__ == "__main__":
    main()
