"""Healthy, busy: a crawler with 6 fetcher threads and at most 2 "connections" at a time (a
BoundedSemaphore). Fetchers queue up on the semaphore, hold it briefly while they "download",
and release it; URLs come from a shared frontier queue."""
import queue
import threading

from _appkit import ready

connections = threading.BoundedSemaphore(2)
frontier = queue.Queue()
seen = set()
seen_lock = threading.Lock()


def download(url):
    return "".join(chr(97 + (ord(c) + i) % 26) for i, c in enumerate(url * 8))


def fetcher():
    while True:
        url = frontier.get()  # LINE:fetch_get
        with connections:  # LINE:fetch_sem
            page = download(url)
        for link in (url + "/a", url + "/b"):
            with seen_lock:
                if link in seen or len(link) > 40:
                    continue
                seen.add(link)
            frontier.put(link)
        if frontier.qsize() < 4:
            with seen_lock:
                seen.clear()
            frontier.put("http://127.0.0.1/" + page[:3])


if __name__ == "__main__":
    for i in range(6):
        threading.Thread(target=fetcher, name="fetcher-%d" % i, daemon=True).start()
    frontier.put("http://127.0.0.1/")
    ready()
    threading.Event().wait()
