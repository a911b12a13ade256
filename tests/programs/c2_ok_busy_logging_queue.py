"""Healthy, busy: four request threads log at full speed through a QueueHandler; a
QueueListener thread writes the records to a file handler (its own lock) and a filter counts
them under another lock."""
import logging
import logging.handlers
import os
import queue
import tempfile
import threading

from _appkit import ready

counts_lock = threading.Lock()
counts = {}


class CountingFilter(logging.Filter):
    def filter(self, record):
        with counts_lock:
            counts[record.threadName] = counts.get(record.threadName, 0) + 1
        return True


def request_loop(log):
    n = 0
    while True:
        n += 1
        log.info("request %d served", n)  # LINE:log_info
        if n % 200 == 0:
            with counts_lock:
                sum(counts.values())


def main():
    records = queue.Queue()
    path = os.path.join(tempfile.gettempdir(), "pyhang-busy-log-%d.log" % os.getpid())
    handler = logging.FileHandler(path, delay=True)
    handler.addFilter(CountingFilter())
    listener = logging.handlers.QueueListener(records, handler)
    listener.start()
    log = logging.getLogger("app")
    log.setLevel(logging.INFO)
    log.addHandler(logging.handlers.QueueHandler(records))
    log.propagate = False
    for i in range(4):
        threading.Thread(target=request_loop, args=(log,), name="request-%d" % i, daemon=True).start()
    ready()
    try:
        threading.Event().wait()
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
