"""Healthy, idle: a maintenance lease released by a timer. The coordinator takes the shard lock
with acquire() and schedules its release in an hour with threading.Timer (a plain Lock may be
released by any thread); it then waits for the migrator's acknowledgement on a queue. The
migrator waits for the shard lock. When the lease expires the timer releases the lock, the
migrator runs and acknowledges. Not a deadlock."""
import queue
import threading

from _appkit import ready


class Shard:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.acks = queue.Queue()

    def coordinate(self, lease_seconds):
        self.lock.acquire()  # LINE:lease_acquire (released by the expiry timer, not here)
        expiry = threading.Timer(lease_seconds, self.lock.release)
        expiry.name = "lease-expiry"
        expiry.start()
        return self.acks.get()  # LINE:coordinate_get

    def migrate(self):
        with self.lock:  # LINE:migrate_with
            self.acks.put("migrated " + self.name)


def main():
    shard = Shard("eu-1")
    migrator = threading.Thread(target=shard.migrate, name="migrator")
    ready_to_go = threading.Timer(0.1, migrator.start)
    ready_to_go.start()
    ready()
    print(shard.coordinate(3600.0))  # LINE:main_coordinate


if __name__ == "__main__":
    main()
