"""Healthy, busy: two account transfers in opposite directions that avoid deadlock with a timed
second acquire and a back-off. Each holds its first lock, tries the second with
acquire(timeout=0.01), and on failure releases everything and retries. At any moment both may
hold one lock and wait (with a timeout) for the other: not a deadlock."""
import random
import threading
import time

from _appkit import ready


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer_forever(source, destination, stats, key):
    rng = random.Random(key)
    while True:
        with source.lock:  # LINE:first
            if destination.lock.acquire(timeout=0.01):  # LINE:second
                try:
                    source.balance -= 1
                    destination.balance += 1
                    stats[key] += 1
                finally:
                    destination.lock.release()
                continue
        stats[key + "-retries"] += 1
        time.sleep(rng.uniform(0, 0.002))  # back off


def main():
    alice = Account("alice", 10 ** 6)
    bob = Account("bob", 10 ** 6)
    stats = {"a2b": 0, "b2a": 0, "a2b-retries": 0, "b2a-retries": 0}
    threading.Thread(target=transfer_forever, args=(alice, bob, stats, "a2b"), name="alice-to-bob", daemon=True).start()
    threading.Thread(target=transfer_forever, args=(bob, alice, stats, "b2a"), name="bob-to-alice", daemon=True).start()
    ready()
    while True:
        time.sleep(0.5)
        # An audit without the locks (a transfer may be half done): it only reports.
        total = alice.balance + bob.balance
        if abs(total - 2 * 10 ** 6) > 1:
            print("audit: total %d" % total, flush=True)


if __name__ == "__main__":
    main()
