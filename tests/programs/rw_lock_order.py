"""Hang (for `pyhang run` / `pyhang watch`): after DELAY seconds (argument, default 0) of work,
two threads take two locks in opposite orders: a lock-order cycle between transfer_to_savings
and transfer_to_checking. The main thread joins them."""
import sys
import threading
import time

from _appkit import ready

checking = threading.Lock()
savings = threading.Lock()
checking_taken = threading.Event()
savings_taken = threading.Event()


def transfer_to_savings():
    with checking:
        checking_taken.set()
        savings_taken.wait()
        with savings:  # LINE:savings
            pass


def transfer_to_checking():
    with savings:
        savings_taken.set()
        checking_taken.wait()
        with checking:  # LINE:checking
            pass


def main():
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    ready()
    deadline = time.time() + delay
    while time.time() < deadline:  # a while of real work first: the process uses CPU
        sum(range(1000))
    a = threading.Thread(target=transfer_to_savings, name="to-savings")
    b = threading.Thread(target=transfer_to_checking, name="to-checking")
    a.start()
    b.start()
    a.join()
    b.join()


if __name__ == "__main__":
    main()
