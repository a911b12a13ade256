"""A service registry for hang_rlock_dead_owner.py: its RLock is taken with acquire() by
migrations, which must release it on every path (one of them does not)."""
import logging
import threading

log = logging.getLogger("registry")


class MigrationError(Exception):
    pass


class Registry:
    def __init__(self):
        self.lock = threading.RLock()
        self.services = {"db": 1, "cache": 1}
        self.schema = 1

    def migrate(self, target, fail):
        self.lock.acquire()  # LINE:migrate_acquire
        if self.schema >= target:
            log.info("schema already at %d", self.schema)
            return  # early return: the lock is never released
        if fail:
            raise MigrationError(f"cannot migrate schema {self.schema} -> {target}")
        self.schema = target
        self.lock.release()

    def lookup(self, name):
        with self.lock:  # LINE:lookup_wait
            return self.services.get(name)
