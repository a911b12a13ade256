"""A database connection pool: acquire()/release() guard the idle list with the pool's lock;
release() calls the registered listeners *after* leaving the lock (so a listener may use the
pool). The metrics listener reads pool.stats(), which takes the lock briefly. A failover
thread freezes the pool (freeze()/thaw() take and give back the lock) while it switches replicas. Workers check
connections out and in at full speed. Healthy: everything progresses."""
import threading
import time
from _appkit import ready

class Pool:
    def __init__(self, size):
        self._lock = threading.Lock()
        self._idle = ["conn-%d" % i for i in range(size)]
        self._listeners = []
        self.checkouts = 0

    def acquire(self):
        while True:
            with self._lock:
                if self._idle:
                    self.checkouts += 1
                    return self._idle.pop()
            time.sleep(0.001)

    def release(self, conn):
        with self._lock:
            self._idle.append(conn)
        for listener in self._listeners:
            listener(self, conn)

    def stats(self):
        with self._lock:
            return len(self._idle), self.checkouts

    def freeze(self):
        """Failover: no checkouts until thaw()."""
        self._lock.acquire()

    def thaw(self):
        self._lock.release()

METRICS = []

def metrics_listener(pool, conn):
    time.sleep(0.1)                      # push the previous sample to statsd
    METRICS.append(pool.stats())
    del METRICS[:-100]

def worker(pool):
    while True:
        conn = pool.acquire()
        time.sleep(0.05)                 # run a query
        pool.release(conn)

def maintenance(pool):
    while True:
        pool.freeze()
        try:
            time.sleep(0.7)              # switch to the replica (slow) while frozen
        finally:
            pool.thaw()
        time.sleep(0.05)

def main():
    pool = Pool(4)
    pool._listeners.append(metrics_listener)
    for n in range(1):
        threading.Thread(target=worker, args=(pool,), name="worker-%d" % n, daemon=True).start()
    threading.Thread(target=maintenance, args=(pool,), name="maintenance", daemon=True).start()
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(1)

if __name__ == "__main__":
    main()
