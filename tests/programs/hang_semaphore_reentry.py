"""A thread that holds the only slot of a Semaphore(1) asks for a slot again.

RateLimiter.slot is a threading.Semaphore(1). Thread "crawler" holds it (`with self.slot:` in
RateLimiter.fetch) and calls fetch() again for a redirect, which waits for the slot in the same
`with self.slot:`: a semaphore is not re-entrant, the thread waits for itself. The main thread
waits in join() for the crawler.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging


class RateLimiter:
    def __init__(self):
        self.slot = threading.Semaphore(1)
        self.redirects = {"http://a.example/": "http://b.example/"}

    def fetch(self, url, arrivals):
        with self.slot:  # LINE:slot
            target = self.redirects.get(url)
            if target:
                arrivals.arrive()
                return self.fetch(target, arrivals)  # LINE:redirect
            return f"<html>{url}</html>"


if __name__ == "__main__":
    setup_logging()
    limiter = RateLimiter()
    arrivals = Rendezvous(1)
    crawler = threading.Thread(target=limiter.fetch, args=("http://a.example/", arrivals), name="crawler")
    crawler.start()
    arrivals.wait_all()
    ready()
    crawler.join()  # LINE:join
