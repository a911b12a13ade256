"""Hang: a token cache refreshes itself with a threading.Timer whose callback takes the cache
lock; close() takes the same lock, then cancels and joins the timer. The timer fired just
before close(): its callback waits for the lock that close() holds while it joins the timer."""
import threading
import time

from _appkit import ready


class TokenCache:
    def __init__(self, refresh_every):
        self._lock = threading.Lock()
        self._token = None
        self._every = refresh_every
        self._timer = None
        self._schedule()

    def _schedule(self):
        self._timer = threading.Timer(self._every, self._refresh)
        self._timer.name = "token-refresh"
        self._timer.start()

    def _refresh(self):
        with self._lock:  # LINE:refresh_lock
            self._token = "tok-%f" % time.time()
        self._schedule()

    def close(self):
        with self._lock:  # LINE:close_with
            time.sleep(0.4)  # flushing the token store; the refresh fires meanwhile
            self._timer.cancel()
            ready()
            self._timer.join()  # LINE:close_join


def main():
    auth_tokens = TokenCache(refresh_every=0.1)
    time.sleep(0.25)
    auth_tokens.close()


if __name__ == "__main__":
    main()
