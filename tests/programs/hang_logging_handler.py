"""A lock-order deadlock between the logging module's handler lock and an application lock.

Thread "request" logs a message: logging holds the AuditHandler's own lock (handler.lock, an
RLock taken by Handler.handle) while AuditHandler.emit (audit.py) waits for audit_lock. Thread
"auditor" holds audit_lock (audit.write_audit) and logs, so it waits for handler.lock. The main
thread waits in join() for the request thread.
"""
import logging
import threading

import audit
from _hangkit import ready

log = logging.getLogger("app")
handler = audit.AuditHandler()


def handle_request(audit_held):
    audit_held.wait()
    log.info("handling request")  # LINE:request_log


if __name__ == "__main__":
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    log.propagate = False
    audit_held = threading.Event()
    request = threading.Thread(target=handle_request, args=(audit_held,), name="request")
    auditor = threading.Thread(target=audit.write_audit, args=("login", handler, log, audit_held),
                               name="auditor")
    request.start()
    auditor.start()
    handler.emitting.wait()
    ready()
    request.join()  # LINE:join
