"""Hang: the classic transfer(a, b) against transfer(b, a). Both threads run the same code; each
holds its source account's lock and waits for its destination's, which the other holds."""
import threading
import time

from _appkit import ready


class Account(object):
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src, dst, amount, both_hold):
    with src.lock:  # LINE:transfer_first
        both_hold.wait()  # make the interleaving certain
        with dst.lock:  # LINE:transfer_second
            src.balance -= amount
            dst.balance += amount


def main():
    alice = Account("alice", 100)
    bob = Account("bob", 100)
    both_hold = threading.Barrier(2)
    t1 = threading.Thread(target=transfer, args=(alice, bob, 10, both_hold), name="alice-to-bob")
    t2 = threading.Thread(target=transfer, args=(bob, alice, 20, both_hold), name="bob-to-alice")
    t1.start()
    t2.start()
    time.sleep(0.5)
    ready()
    t1.join()
    t2.join()


if __name__ == "__main__":
    main()
