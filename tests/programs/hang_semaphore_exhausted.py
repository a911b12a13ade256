"""A connection pool's semaphore is exhausted by clients that hold a slot forever.

ConnectionPool.slots is a BoundedSemaphore(2). Threads "client-1" and "client-2" each hold a
slot (`with pool.slots:`) while they wait for a response Event that is never set; "client-3"
waits for a slot in `with pool.slots:`. The main thread waits in join() for client-3.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("pool")


class ConnectionPool:
    def __init__(self, size):
        self.slots = threading.BoundedSemaphore(size)
        self.responses = {}

    def request(self, client, arrivals):
        with self.slots:  # LINE:slot
            response = self.responses.setdefault(client, threading.Event())
            arrivals.arrive()
            response.wait()  # LINE:response_wait


def main():
    setup_logging()
    pool = ConnectionPool(2)
    holders = Rendezvous(2)
    clients = [threading.Thread(target=pool.request, args=(f"client-{n}", holders), name=f"client-{n}")
               for n in (1, 2)]
    for c in clients:
        c.start()
    holders.wait_all()
    late = Rendezvous(1)
    third = threading.Thread(target=pool.request, args=("client-3", late), name="client-3")
    third.start()
    ready()
    third.join()  # LINE:join


if __name__ == "__main__":
    main()
