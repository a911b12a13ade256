"""Hang: a hand-rolled database connection pool (a LifoQueue of connections, as urllib3 and
many services keep them) with two connections and two request threads. A request holds a
connection for its whole handler, and the audit helper it calls checks out a second one:
both threads hold one and wait for the other's."""
import contextlib
import queue
import threading
import time

from _appkit import ready


class ConnectionPool:
    def __init__(self, size):
        self._idle = queue.LifoQueue(maxsize=size)
        for n in range(size):
            self._idle.put(f"db-conn-{n}")

    @contextlib.contextmanager
    def connection(self):
        conn = self._idle.get()  # LINE:checkout
        try:
            yield conn
        finally:
            self._idle.put(conn)


pool = ConnectionPool(2)
started = threading.Barrier(3)


def audit(user, action):
    with pool.connection() as conn:  # LINE:with_audit
        return f"{conn}: audit {user} {action}"


def handle_request(user):
    with pool.connection() as conn:  # LINE:with_request
        started.wait()
        time.sleep(0.2)
        result = f"{conn}: profile of {user}"
        audit(user, "read profile")
        return result


def main():
    workers = [threading.Thread(target=handle_request, args=(u,), name=f"request-{u}") for u in ("ann", "bob")]
    for w in workers:
        w.start()
    started.wait()
    threading.Timer(0.6, ready).start()
    for w in workers:
        w.join()  # LINE:join


main()
