"""Healthy, idle: a conditional acquire() next to a lease that a timer ends. The table lock is
leased for maintenance: grant_lease() takes it and a threading.Timer releases it in an hour (a
plain Lock may be released by any thread). The report worker runs in shared mode, so it does NOT
take the table lock (the acquire() is behind an `if`), and waits for the stats lock. The main
thread holds the stats lock and waits for the table lock. When the lease expires the timer
releases the table lock, main finishes and releases the stats lock, the report runs. Not a
deadlock."""
import threading
import time

from _appkit import ready


class Table:
    def __init__(self):
        self.lock = threading.Lock()
        self.stats_lock = threading.Lock()
        self.rows = list(range(100))

    def grant_lease(self, seconds):
        self.lock.acquire()  # LINE:lease_acquire (released by the expiry timer)
        expiry = threading.Timer(seconds, self.lock.release)
        expiry.name = "lease-expiry"
        expiry.start()

    def report(self, exclusive):
        if exclusive:
            self.lock.acquire()  # LINE:report_acquire (not taken in shared mode)
        try:
            with self.stats_lock:  # LINE:report_stats
                return sum(self.rows)
        finally:
            if exclusive:
                self.lock.release()


def main():
    table = Table()
    table.grant_lease(3600.0)
    with table.stats_lock:  # LINE:main_stats
        threading.Thread(target=table.report, args=(False,), name="report", daemon=True).start()
        time.sleep(0.05)
        ready()
        with table.lock:  # LINE:main_with
            table.rows.append(100)


if __name__ == "__main__":
    main()
