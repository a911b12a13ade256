"""Consumers wait on queue.Queue.get() for items that never come: the producer crashed.

Thread "producer" raises (a missing file) before it puts anything or the end markers into
`tasks`; threads "consumer-1" and "consumer-2" wait in tasks.get() forever and the main thread
waits in join() for consumer-1.
"""
import logging
import queue
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("etl")
tasks = queue.Queue()


def produce(path):
    with open(path) as source:  # raises FileNotFoundError
        for line in source:
            tasks.put(line)
    for _ in range(2):
        tasks.put(None)


def consume(arrivals):
    arrivals.arrive()
    while True:
        item = tasks.get()  # LINE:consumer_get
        if item is None:
            break
        log.info("row %s", item)


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(2)
    consumers = [threading.Thread(target=consume, args=(arrivals,), name=f"consumer-{n}") for n in (1, 2)]
    for c in consumers:
        c.start()
    producer = threading.Thread(target=produce, args=("/nonexistent/rows.csv",), name="producer")
    producer.start()
    producer.join()
    arrivals.wait_all()
    ready()
    for c in consumers:
        c.join()  # LINE:join
