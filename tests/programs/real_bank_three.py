"""Hang: a lock-order cycle between 3 transfers. Each teller locks the source account, then the
destination: alice->bob, bob->carol, carol->alice."""
import threading

from _appkit import ready


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self.lock = threading.Lock()


all_hold = threading.Barrier(3)


def transfer(source, destination, amount):
    with source.lock:  # LINE:take_source
        all_hold.wait()
        with destination.lock:  # LINE:take_destination
            source.balance -= amount
            destination.balance += amount


def main():
    alice, bob, carol = Account("alice", 100), Account("bob", 50), Account("carol", 75)
    tellers = [threading.Thread(target=transfer, args=(alice, bob, 10), name="teller-1"),
               threading.Thread(target=transfer, args=(bob, carol, 20), name="teller-2"),
               threading.Thread(target=transfer, args=(carol, alice, 30), name="teller-3")]
    for t in tellers:
        t.start()
    ready()
    for t in tellers:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
