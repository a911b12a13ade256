"""Accounts for hang_bank_transfer.py and hang_pool_transfer.py: each account has its own lock,
and a transfer takes the source account's lock, then the destination's (the classic lock-order
deadlock when two transfers go in opposite directions)."""
import logging
import threading

log = logging.getLogger("bank")


class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self.lock = threading.Lock()

    def __repr__(self):
        return f"Account({self.owner!r}, {self.balance})"

    def transfer_to(self, other, amount, rendezvous):
        with self.lock:  # LINE:take_own
            log.info("locked %s, moving %d to %s", self.owner, amount, other.owner)
            if self.balance < amount:
                raise InsufficientFunds(self.owner)
            rendezvous.meet()
            with other.lock:  # LINE:take_other
                self.balance -= amount
                other.balance += amount
