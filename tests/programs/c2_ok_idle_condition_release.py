"""Healthy, idle: a lock released through the Condition built on it. The publisher takes the feed
lock with self.lock.acquire(), notifies, and gives it back with self.changed.release() (the
Condition over the same lock), then waits for the stats lock. The archiver holds the feed lock
(`with self.changed:`) during a long archive run (a sleep stands for it); the main thread holds
the stats lock and waits for the feed lock. The archiver will finish: not a deadlock."""
import threading
import time

from _appkit import ready


class Feed:
    def __init__(self):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.stats_lock = threading.Lock()
        self.items = []
        self.published = 0

    def publish(self, item):
        self.lock.acquire()  # LINE:publish_acquire
        self.items.append(item)
        self.changed.notify_all()
        self.changed.release()  # LINE:publish_release (the Condition's lock is self.lock)
        with self.stats_lock:  # LINE:publish_stats
            self.published += 1

    def archive(self):
        with self.changed:  # LINE:archive_with
            time.sleep(3600)  # LINE:archive_sleep
            del self.items[:]


def main():
    feed = Feed()
    with feed.stats_lock:  # LINE:main_stats
        publisher = threading.Thread(target=feed.publish, args=("price 101.5",), name="publisher", daemon=True)
        publisher.start()
        time.sleep(0.05)
        threading.Thread(target=feed.archive, name="archiver", daemon=True).start()
        while not feed.lock.locked():
            time.sleep(0.01)
        ready()
        with feed.lock:  # LINE:main_with
            print(len(feed.items))


if __name__ == "__main__":
    main()
