"""Healthy, idle: a lock taken only in "exclusive" mode. The report worker runs in shared mode,
so it does NOT take the table lock (the acquire() is behind an `if`), and then waits for the
stats lock. The vacuum thread holds the table lock during a long sleep (standing for a slow
VACUUM). The main thread holds the stats lock and waits for the table lock. The table lock is
held by the sleeping vacuum thread, which will release it; then main releases the stats lock
and the report runs. Not a deadlock."""
import threading
import time

from _appkit import ready


class Table:
    def __init__(self):
        self.lock = threading.Lock()
        self.stats_lock = threading.Lock()
        self.rows = list(range(100))
        self.stats = {}

    def report(self, exclusive):
        if exclusive:
            self.lock.acquire()  # LINE:report_acquire (not taken in shared mode)
        try:
            with self.stats_lock:  # LINE:report_stats
                return sum(self.rows)
        finally:
            if exclusive:
                self.lock.release()

    def vacuum(self):
        with self.lock:  # LINE:vacuum_with
            time.sleep(3600)  # LINE:vacuum_sleep
            self.rows = [r for r in self.rows if r % 2]


def main():
    table = Table()
    threading.Thread(target=table.vacuum, name="vacuum", daemon=True).start()
    while not table.lock.locked():
        time.sleep(0.01)
    with table.stats_lock:  # LINE:main_stats
        threading.Thread(target=table.report, args=(False,), name="report", daemon=True).start()
        ready()
        with table.lock:  # LINE:main_with
            table.stats["vacuumed"] = True


if __name__ == "__main__":
    main()
