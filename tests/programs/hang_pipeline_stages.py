"""Three pipeline stages hand work to the next stage in a ring: a lock-order cycle of three.

Each stage thread runs hand_over(own_lock, next_lock, ...): it holds its own buffer lock (`with
own_lock:`) and then takes the next stage's (`with next_lock:`), the locks being passed as
arguments. "stage-parse" holds parse_lock and waits for enrich_lock, "stage-enrich" holds
enrich_lock and waits for store_lock, "stage-store" holds store_lock and waits for parse_lock.
The main thread waits in join() for stage-parse.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("pipeline")

parse_lock = threading.Lock()
enrich_lock = threading.Lock()
store_lock = threading.Lock()
buffers = {"parse": [1, 2], "enrich": [], "store": []}


def hand_over(own_lock, next_lock, source, target, rendezvous):
    with own_lock:  # LINE:own
        batch = list(buffers[source])
        rendezvous.meet()
        with next_lock:  # LINE:next
            buffers[target].extend(batch)
            buffers[source].clear()
    log.info("%s -> %s: %d items", source, target, len(batch))


def main():
    setup_logging()
    rendezvous = Rendezvous(3)
    ring = [("parse", parse_lock, "enrich", enrich_lock),
            ("enrich", enrich_lock, "store", store_lock),
            ("store", store_lock, "parse", parse_lock)]
    stages = [threading.Thread(target=hand_over, args=(own, nxt, src, dst, rendezvous), name=f"stage-{src}")
              for src, own, dst, nxt in ring]
    for stage in stages:
        stage.start()
    rendezvous.wait_all()
    ready()
    for stage in stages:
        stage.join()  # LINE:join


if __name__ == "__main__":
    main()
