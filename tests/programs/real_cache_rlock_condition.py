"""Hang: a cache with an RLock and a Condition on a second lock. Thread "loader" fills the cache:
it holds cache.rlock (re-entered twice) and waits for cache.fill_lock to record the fill. Thread
"refresher" holds fill_lock (the Condition's lock, `with cache.filled:`) and wants the RLock to
read the entry it is waiting for. The main thread waits in cache.get() on the Condition."""
import threading

from _appkit import ready

both_hold = threading.Barrier(2)


class Cache:
    def __init__(self):
        self.rlock = threading.RLock()
        self.fill_lock = threading.Lock()
        self.filled = threading.Condition(self.fill_lock)
        self.data = {}

    def load(self, key):
        with self.rlock:  # LINE:load_outer
            with self.rlock:  # LINE:load_inner
                self.data[key] = key.upper()
                both_hold.wait()
                with self.fill_lock:  # LINE:load_wait
                    self.filled.notify_all()

    def refresh(self, key):
        with self.filled:  # LINE:refresh_with
            both_hold.wait()
            with self.rlock:  # LINE:refresh_wait
                return self.data.get(key)


cache = Cache()


def main():
    threading.Thread(target=cache.load, args=("user:1",), name="loader").start()
    threading.Thread(target=cache.refresh, args=("user:1",), name="refresher").start()
    ready()
    threading.Event().wait()  # LINE:main_idle


if __name__ == "__main__":
    main()
