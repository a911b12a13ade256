"""Hang (3.8 to 3.11): functools.cached_property computes under one RLock per property, shared
by every instance. A connection's `settings` getter loads its replica's settings in a helper
thread and joins it; the helper waits for the property's lock, which the getter holds. (3.12
removed that lock: there the two computations run side by side and the program finishes.)"""
import functools
import threading

from _appkit import ready


class Connection:
    def __init__(self, name, replica=None):
        self.name = name
        self.replica = replica

    @functools.cached_property
    def settings(self):
        merged = {"name": self.name}
        if self.replica is not None:
            loaded = {}
            loader = threading.Thread(target=self._load_replica, args=(loaded,), name="replica-loader")
            loader.start()
            ready()
            loader.join()  # LINE:join
            merged.update(loaded)
        return merged

    def _load_replica(self, into):
        into["replica"] = self.replica.settings  # LINE:replica_settings


def main():
    primary = Connection("primary", replica=Connection("replica"))
    print(primary.settings)  # LINE:primary_settings


if __name__ == "__main__":
    main()
