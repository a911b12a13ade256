"""An audit trail for hang_logging_handler.py: a logging.Handler whose emit() takes the audit
lock (an RLock), and an audit writer that logs while it holds the audit lock."""
import logging
import threading

audit_lock = threading.RLock()
trail = []


class AuditHandler(logging.Handler):
    """Copies every record into the audit trail (under audit_lock)."""

    def __init__(self):
        super().__init__()
        self.emitting = threading.Event()  # for the test: set once a thread is inside emit()

    def emit(self, record):
        self.emitting.set()
        with audit_lock:  # LINE:emit_wait
            trail.append(self.format(record))


def write_audit(entry, handler, log, holding):
    with audit_lock:  # LINE:writer_hold
        trail.append(entry)
        holding.set()
        handler.emitting.wait()
        log.info("audit entry %s written", entry)  # LINE:writer_log
