"""Hang: a ledger service moves money between two accounts with explicit acquire()/release()
(no `with`), taking the source account's lock first: two transfers in opposite directions
deadlock. A heartbeat thread keeps logging every second, and main waits for the transfers. The
heartbeat never touches the account locks: nothing will release them."""
import threading
import time

from _appkit import ready


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src, dst, amount, both_held):
    src.lock.acquire()  # LINE:first
    try:
        both_held.wait()
        time.sleep(0.1)
        dst.lock.acquire()  # LINE:second
        try:
            src.balance -= amount
            dst.balance += amount
        finally:
            dst.lock.release()
    finally:
        src.lock.release()


def heartbeat():
    beats = 0
    while True:
        beats += 1
        time.sleep(1)  # LINE:beat


def main():
    checking = Account("checking", 100)
    savings = Account("savings", 500)
    both_held = threading.Barrier(2)
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    t1 = threading.Thread(target=transfer, args=(checking, savings, 10, both_held), name="to-savings")
    t2 = threading.Thread(target=transfer, args=(savings, checking, 20, both_held), name="to-checking")
    t1.start()
    t2.start()
    threading.Timer(0.6, ready).start()
    t1.join()  # LINE:join
    t2.join()


if __name__ == "__main__":
    main()
