"""Hang: garbage-collector re-entrancy inside logging. A buffering handler keeps its records
under its own threading.Lock (logging's handler RLock is re-entrant, this one is not). A Session
dropped with a reference cycle is freed by the collector, and its __del__ logs "session closed".
When a collection starts inside the handler's `with self.buffer_lock:` block, __del__ logs, the
handler's emit() runs again on the same thread and waits forever for buffer_lock."""
import gc
import logging
import random
import threading

from _appkit import ready


class BufferingHandler(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.buffer_lock = threading.Lock()
        self.buffer = []

    def emit(self, record):
        if self.buffer_lock.locked():  # only this thread logs: the collector re-entered emit()
            ready()
        with self.buffer_lock:  # LINE:emit_with
            entry = [record.levelname, [record.lineno] * 4]
            entry.append(record.getMessage())  # a call after an allocation: the collector may start here
            self.buffer.append(entry)
            if len(self.buffer) > 200:
                del self.buffer[:100]


log = logging.getLogger("sessions")
log.setLevel(logging.INFO)
log.addHandler(BufferingHandler())
log.propagate = False


class Session:
    def __init__(self, user):
        self.user = user
        self.me = self  # a cycle: only the collector frees a dropped session

    def __del__(self):
        log.info("session of %s closed", self.user)  # LINE:del_log


def main():
    gc.set_threshold(10, 2, 1000000)
    n = 0
    while True:
        n += 1
        session = Session("user%d" % n)
        session.roles = [["role", k] for k in range(random.randrange(6))]
        log.info("session %d opened", n)  # LINE:main_log
        session = None


if __name__ == "__main__":
    main()
