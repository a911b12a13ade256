"""Hang: a bank's tellers move money with explicit acquire()/release(), locking the source
account first. Two transfers in opposite directions between checking and savings deadlock,
while a third teller, inside the same transfer() for two other accounts, sleeps while it writes
a slow audit record (an hour here). That teller will release only the locks it took itself:
nothing will release checking's or savings' lock."""
import threading
import time

from _appkit import ready


class Account:
    def __init__(self, name):
        self.name = name
        self.balance = 1000
        self.lock = threading.Lock()


def audit(src, dst, amount):
    if src.name == "payroll":
        time.sleep(3600)  # LINE:audit_sleep


def transfer(src, dst, amount, both_held=None):
    src.lock.acquire()  # LINE:first
    try:
        if both_held is not None:
            both_held.wait()
            time.sleep(0.1)
        dst.lock.acquire()  # LINE:second
        try:
            src.balance -= amount
            dst.balance += amount
            audit(src, dst, amount)
        finally:
            dst.lock.release()
    finally:
        src.lock.release()


def main():
    checking, savings = Account("checking"), Account("savings")
    payroll, expenses = Account("payroll"), Account("expenses")
    both_held = threading.Barrier(2)
    tellers = [
        threading.Thread(target=transfer, args=(payroll, expenses, 5), name="teller-audit"),
        threading.Thread(target=transfer, args=(checking, savings, 10, both_held), name="teller-1"),
        threading.Thread(target=transfer, args=(savings, checking, 20, both_held), name="teller-2"),
    ]
    for t in tellers:
        t.start()
    threading.Timer(0.6, ready).start()
    for t in tellers:
        t.join()  # LINE:join


if __name__ == "__main__":
    main()
