"""A Barrier for three shards, but only two shard threads were started.

Threads "shard-0" and "shard-1" wait at sync_point (a threading.Barrier(3)); the third shard was
skipped because its configuration was missing. The main thread waits in join() for shard-0.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("shards")
SHARD_CONFIG = {0: "eu", 1: "us"}  # shard 2 is missing
sync_point = threading.Barrier(3)


def run_shard(index, arrivals):
    log.info("shard %d loaded %s", index, SHARD_CONFIG[index])
    arrivals.arrive()
    sync_point.wait()  # LINE:shard_wait
    log.info("shard %d synchronised", index)


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(2)
    shards = [threading.Thread(target=run_shard, args=(i, arrivals), name=f"shard-{i}")
              for i in range(3) if i in SHARD_CONFIG]
    for s in shards:
        s.start()
    arrivals.wait_all()
    ready()
    for s in shards:
        s.join()  # LINE:join
