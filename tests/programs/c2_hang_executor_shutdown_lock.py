"""Hang: ThreadPoolExecutor.shutdown(wait=True) under a lock a queued task needs. The cache
flusher holds the cache lock while it shuts the writer pool down; the pool's worker is running
a write-back task that needs the cache lock. shutdown() joins the worker forever."""
import concurrent.futures
import threading
import time

from _appkit import ready


class WriteBackCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.dirty = {"a": 1, "b": 2}
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def write_back(self, key):
        time.sleep(0.05)
        with self.lock:  # LINE:write_back_with
            self.dirty.pop(key, None)

    def close(self):
        with self.lock:  # LINE:close_with
            for key in list(self.dirty):
                self.pool.submit(self.write_back, key)
            ready()
            self.pool.shutdown(wait=True)  # LINE:close_shutdown


if __name__ == "__main__":
    WriteBackCache().close()
