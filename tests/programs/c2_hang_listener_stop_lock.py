"""Hang: QueueListener.stop() under a lock the listener's handler needs. The audit handler
writes each record under the application's state lock; at shutdown the application holds that
lock while it stops the listener, and stop() joins the listener thread, which is inside the
handler waiting for the state lock."""
import logging
import logging.handlers
import queue
import threading
import time

from _appkit import ready

state_lock = threading.Lock()
audit_trail = []


class AuditHandler(logging.Handler):
    def emit(self, record):
        with state_lock:  # LINE:emit_with
            audit_trail.append(record.getMessage())


def main():
    records = queue.Queue()
    listener = logging.handlers.QueueListener(records, AuditHandler())
    listener.start()
    log = logging.getLogger("app.audit")
    log.addHandler(logging.handlers.QueueHandler(records))
    log.setLevel(logging.INFO)
    log.propagate = False
    with state_lock:  # LINE:shutdown_with
        log.info("shutting down")
        time.sleep(0.1)
        ready()
        listener.stop()  # LINE:listener_stop


if __name__ == "__main__":
    main()
