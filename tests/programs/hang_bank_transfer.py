"""Two tellers transfer money between the same two accounts in opposite directions.

Account.transfer_to (bank.py) takes the source account's lock with `with self.lock:` and then
the destination's with `with other.lock:`. teller-1 holds alice.lock and waits for bob.lock;
teller-2 holds bob.lock and waits for alice.lock: a lock-order cycle of two threads. The main
thread waits in teller.join() for teller-1, stuck behind the cycle.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging
from bank import Account

log = logging.getLogger("tellers")


def run_teller(source, destination, amount, rendezvous):
    log.info("transfer %d from %s to %s", amount, source.owner, destination.owner)
    source.transfer_to(destination, amount, rendezvous)  # LINE:teller_call


def main():
    setup_logging()
    alice = Account("alice", 100)
    bob = Account("bob", 80)
    rendezvous = Rendezvous(2)
    tellers = [
        threading.Thread(target=run_teller, args=(alice, bob, 30, rendezvous), name="teller-1"),
        threading.Thread(target=run_teller, args=(bob, alice, 20, rendezvous), name="teller-2"),
    ]
    for teller in tellers:
        teller.start()
    rendezvous.wait_all()
    ready()
    for teller in tellers:
        teller.join()  # LINE:join
    log.info("balances: %r %r", alice, bob)


if __name__ == "__main__":
    main()
