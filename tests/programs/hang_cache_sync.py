"""Two cache replicas synchronise with each other at the same time (RLocks, `with` in methods).

ReplicaCache.sync_from (replicas.py) holds `self.lock` and calls `other.snapshot()`, which takes
the other replica's lock. Thread "sync-primary" holds primary.lock and waits for replica.lock in
snapshot(); "sync-replica" holds replica.lock and waits for primary.lock: a lock-order cycle of
RLocks. The main thread waits in join() for sync-primary.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging
from replicas import ReplicaCache

primary = ReplicaCache("primary")
replica = ReplicaCache("replica")


def start_sync(name, target, source, rendezvous):
    thread = threading.Thread(target=target.sync_from, args=(source, rendezvous), name=name)
    thread.start()
    return thread


if __name__ == "__main__":
    setup_logging()
    primary.data["config"] = {"version": 3}
    replica.data["config"] = {"version": 2}
    rendezvous = Rendezvous(2)
    syncs = [start_sync("sync-primary", primary, replica, rendezvous),
             start_sync("sync-replica", replica, primary, rendezvous)]
    rendezvous.wait_all()
    ready()
    syncs[0].join()  # LINE:join
    syncs[1].join()
