"""Hang: leaked semaphore permits. A download limiter allows 2 concurrent downloads; an error
path returns without releasing its permit, twice, so the next downloads wait in acquire()
forever."""
import threading

from _appkit import ready

slots = threading.Semaphore(2)


def download(url):
    slots.acquire()  # LINE:download_acquire
    if url.endswith(".broken"):
        return None  # BUG: the permit is never released
    try:
        return "content of " + url
    finally:
        slots.release()


def main():
    download("http://127.0.0.1/a.broken")
    download("http://127.0.0.1/b.broken")
    workers = [threading.Thread(target=download, args=("http://127.0.0.1/c",), name="downloader-1"),
               threading.Thread(target=download, args=("http://127.0.0.1/d",), name="downloader-2")]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
