"""Hang: a single-worker ThreadPoolExecutor; a done callback chains the next step by submitting
it to the same pool and waiting for its result. The callback runs on the pool's only worker
(the thread that finished the first job), so the chained job is queued behind the thread that
waits for it."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _appkit import ready

pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="io")
done = threading.Event()


def download(url):
    time.sleep(0.1)
    return "payload of " + url


def index(payload):
    return len(payload)


def on_downloaded(fut):
    size = pool.submit(index, fut.result()).result()  # LINE:chain
    print("indexed", size)
    done.set()


def main():
    pool.submit(download, "http://example.org/a").add_done_callback(on_downloaded)
    threading.Timer(0.5, ready).start()
    done.wait()  # LINE:main_wait


main()
