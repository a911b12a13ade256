"""A method that holds a lock calls another method that takes the same lock.

The main thread calls metrics.record(), which holds metrics._lock (`with self._lock:`) and calls
self.flush_if_full(), which waits for the same threading.Lock: a self-deadlock. Thread
"exporter" wakes up when a flush is requested and waits for metrics._lock too, stuck behind the
main thread.
"""
import threading

from _hangkit import ready, setup_logging
from metrics import Metrics

metrics = Metrics(capacity=5)


def export_loop():
    metrics.flush_requested.wait()
    ready()
    metrics.export()  # LINE:exporter_call


def main():
    setup_logging()
    exporter = threading.Thread(target=export_loop, name="exporter", daemon=True)
    exporter.start()
    for n in range(5):
        metrics.record("requests", n)  # LINE:main_call


if __name__ == "__main__":
    main()
