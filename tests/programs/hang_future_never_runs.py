"""Future.result() of a task that never runs: the executor's only worker is blocked.

A ThreadPoolExecutor(max_workers=1, thread_name_prefix="io") runs connect(), which waits for an
Event that is never set; the report task queued behind it never starts, and the main thread
waits in report.result() forever.
"""
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from _hangkit import ready, setup_logging

log = logging.getLogger("client")
connected = threading.Event()
started = threading.Event()


def connect(host):
    started.set()
    connected.wait()  # LINE:connect_wait
    return host


def build_report(rows):
    return len(rows)


def main():
    setup_logging()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="io")
    connection = executor.submit(connect, "db.internal")
    report = executor.submit(build_report, [1, 2, 3])
    started.wait()
    ready()
    log.info("report: %s", report.result())  # LINE:main_result
    log.info("connection: %s", connection.result())


if __name__ == "__main__":
    main()
