"""Hang: self-deadlock through a property. Account.withdraw() holds the account's lock and
checks `self.available`, a property that takes the same non-reentrant lock. The "payments"
thread waits for itself; the main thread joins it."""
import threading

from _appkit import ready


class Account:
    def __init__(self, balance, reserved):
        self.lock = threading.Lock()
        self.balance = balance
        self.reserved = reserved

    @property
    def available(self):
        with self.lock:  # LINE:available_with
            return self.balance - self.reserved

    def withdraw(self, amount):
        with self.lock:  # LINE:withdraw_with
            if amount > self.available:  # LINE:withdraw_check
                raise ValueError("insufficient funds")
            self.balance -= amount


def main():
    account = Account(100, 20)
    payments = threading.Thread(target=account.withdraw, args=(30,), name="payments")
    payments.start()
    ready()
    payments.join()  # LINE:main_join


if __name__ == "__main__":
    main()
