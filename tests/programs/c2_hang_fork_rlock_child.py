"""Hang (in the child): a report job runs in a ThreadPoolExecutor worker and forks a renderer child
while the "rates-refresher" thread holds Cache._lock (an RLock, held during its slow fetch). The
child inherits the RLock locked by a thread that does not exist there: its cache.get() blocks
forever. The parent's pool worker waits in os.waitpid() for the child.
READY gives the child's pid; with argument `parent`, the parent's pid (read it with --children).
Right verdict: DEADLOCK for the child (and for the parent with --children)."""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor



class Cache:
    def __init__(self):
        self._lock = threading.RLock()
        self._data = {"rates": 1.0}
        self.filled = threading.Event()

    def refresh_forever(self):
        while True:
            with self._lock:
                self.filled.set()
                time.sleep(0.3)  # slow upstream fetch under the lock
                self._data["rates"] += 0.01
            time.sleep(0.0005)

    def get(self, key):
        with self._lock:  # LINE:child_get
            return self._data[key]


cache = Cache()


def render_report(name):
    cache.filled.wait()
    while True:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            if cache._lock.acquire(False):  # forked in the refresher's gap: try again
                os.write(w, b"retry\n")
                os._exit(3)
            os.write(w, ("%d\n" % os.getpid()).encode())
            os.close(w)
            print(name, cache.get("rates"))
            os._exit(0)
        os.close(w)
        line = os.read(r, 64).decode().strip()
        os.close(r)
        if line == "retry":
            os.waitpid(pid, 0)
            time.sleep(0.01)
            continue
        shown = os.getpid() if "parent" in sys.argv else int(line)
        sys.stdout.flush()
        os.write(sys.stdout.fileno(), ("READY %d\n" % shown).encode())
        return os.waitpid(pid, 0)  # LINE:waitpid


def main():
    threading.Thread(target=cache.refresh_forever, name="rates-refresher", daemon=True).start()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reports") as pool:
        fut = pool.submit(render_report, "daily")
        fut.result()


if __name__ == "__main__":
    main()
