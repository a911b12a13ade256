"""Hang: a database pool of two connections (a BoundedSemaphore); each request checks out one
connection and, inside, an audit helper checks out a second one. Two requests at once each hold
one connection and wait for the other's."""
import threading
import time

from _appkit import ready

pool_slots = threading.BoundedSemaphore(2)
barrier = threading.Barrier(2)


def audit(user):
    with pool_slots:  # LINE:audit_checkout
        return "audited %s" % user


def handle_request(user):
    with pool_slots:  # LINE:request_with
        barrier.wait()
        audit(user)


def main():
    requests = [threading.Thread(target=handle_request, args=(u,), name="request-%s" % u) for u in ("ann", "bob")]
    for r in requests:
        r.start()
    time.sleep(0.2)
    ready()
    for r in requests:
        r.join()  # LINE:main_join


if __name__ == "__main__":
    main()
