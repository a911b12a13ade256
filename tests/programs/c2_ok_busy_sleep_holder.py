"""Healthy: a database connection guarded by a lock; the "backup" thread holds it while it
"copies pages" (time.sleep stands for slow disk I/O, 0.3 s at a time), while three request
threads wait for it with `with db_lock:` (no timeout). Not a deadlock: the holder sleeps with a
timeout and will release."""
import threading
import time

from _appkit import ready

db_lock = threading.Lock()
rows = {}


def backup():
    while True:
        with db_lock:  # LINE:backup_with
            snapshot = dict(rows)
            time.sleep(0.3)  # LINE:backup_sleep
        time.sleep(0.01)


def handle_requests(worker):
    n = 0
    while True:
        n += 1
        with db_lock:  # LINE:request_with
            rows[(worker, n % 100)] = n


def main():
    threading.Thread(target=backup, name="backup", daemon=True).start()
    workers = [threading.Thread(target=handle_requests, args=(i,), name="request-%d" % i, daemon=True)
               for i in range(3)]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
