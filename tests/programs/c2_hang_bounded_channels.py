"""Hang: two pipeline stages exchange messages over two bounded queues. Each stage first sends
its backlog, then relays what it receives. Both backlogs are larger than the queues: each stage
blocks in put() on the other's full queue before either starts to take from its own."""
import queue
import threading
import time

from _appkit import ready

to_enricher = queue.Queue(maxsize=4)
to_indexer = queue.Queue(maxsize=4)
both_started = threading.Barrier(3)


def indexer():
    both_started.wait()
    for doc_id in range(16):
        to_enricher.put(("index", doc_id))  # LINE:indexer_put
    while True:
        to_enricher.put(to_indexer.get())


def enricher():
    both_started.wait()
    for doc_id in range(16):
        to_indexer.put(("enrich", doc_id))  # LINE:enricher_put
    while True:
        to_indexer.put(to_enricher.get())


def main():
    stages = [threading.Thread(target=indexer, name="indexer"), threading.Thread(target=enricher, name="enricher")]
    for s in stages:
        s.start()
    both_started.wait()
    time.sleep(0.3)
    ready()
    for s in stages:
        s.join()  # LINE:main_join


if __name__ == "__main__":
    main()
