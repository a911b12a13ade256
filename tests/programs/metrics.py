"""Metrics for hang_self_method.py: record() holds the lock and calls flush_if_full(), which
takes the same (non-reentrant) lock again."""
import logging
import threading

log = logging.getLogger("metrics")


class Metrics:
    def __init__(self, capacity):
        self._lock = threading.Lock()
        self.capacity = capacity
        self.samples = []
        self.flush_requested = threading.Event()

    def record(self, name, value):
        with self._lock:  # LINE:record_hold
            self.samples.append((name, value))
            self.flush_if_full()  # LINE:record_call

    def flush_if_full(self):
        if len(self.samples) < self.capacity:
            return
        self.flush_requested.set()
        with self._lock:  # LINE:flush_wait
            log.info("flushing %d samples", len(self.samples))
            self.samples.clear()

    def export(self):
        with self._lock:  # LINE:export_wait
            return list(self.samples)
