"""Hang across processes: a record lock (lockf) and a multiprocessing.Lock in opposite orders.

The exporter holds the shared stats lock (a multiprocessing.Lock) while it appends to the report
file, which it locks with fcntl.lockf(); the archiver process locks the report file first, then
takes the stats lock to read the totals. The kernel detects deadlocks among record locks only:
a cycle through another kind of lock waits forever.
"""
import fcntl
import multiprocessing
import os
import sys
import tempfile
import threading

from _appkit import ready

REPORT = os.path.join(tempfile.mkdtemp(prefix="pyhang-report-"), "report.csv")


def archiver(stats_lock, report_taken):
    with open(REPORT, "r+") as report:
        fcntl.lockf(report, fcntl.LOCK_EX)  # LINE:archiver_lockf
        report_taken.set()
        with stats_lock:  # LINE:archiver_with
            report.read()


def main():
    if sys.version_info >= (3, 4):
        multiprocessing.set_start_method("fork" if sys.platform == "linux" else "spawn", force=True)
    open(REPORT, "w").close()
    stats_lock = multiprocessing.Lock()
    report_taken = multiprocessing.Event()
    proc = multiprocessing.Process(target=archiver, args=(stats_lock, report_taken), name="archiver")
    with stats_lock:  # LINE:exporter_with
        proc.start()
        report_taken.wait()
        threading.Timer(0.5, ready).start()
        with open(REPORT, "a") as report:
            fcntl.lockf(report, fcntl.LOCK_EX)  # LINE:exporter_lockf
            report.write("total,42\n")
    proc.join()


if __name__ == "__main__":
    main()
