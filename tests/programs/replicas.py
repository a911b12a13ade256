"""A replicated cache for hang_cache_sync.py: each replica guards its data with an RLock, and
sync_from() holds its own lock while it asks the other replica for a snapshot."""
import threading


class ReplicaCache:
    def __init__(self, name):
        self.name = name
        self.lock = threading.RLock()
        self.data = {}
        self.version = 0

    def snapshot(self):
        with self.lock:  # LINE:snapshot
            return dict(self.data)

    def sync_from(self, other, rendezvous):
        with self.lock:  # LINE:sync_hold
            self.version += 1
            rendezvous.meet()
            self.data.update(other.snapshot())  # LINE:sync_call
