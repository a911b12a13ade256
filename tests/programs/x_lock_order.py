"""Hang: two functions take the same two locks in opposite orders."""
import threading
import time

from _appkit import ready

accounts_lock = threading.Lock()
audit_lock = threading.Lock()
both_hold = threading.Barrier(3)


def transfer():
    with accounts_lock:  # LINE:transfer_first
        both_hold.wait()
        with audit_lock:  # LINE:transfer_second
            pass


def audit():
    with audit_lock:  # LINE:audit_first
        both_hold.wait()
        with accounts_lock:  # LINE:audit_second
            pass


def main():
    t1 = threading.Thread(target=transfer, name="transfer")
    t2 = threading.Thread(target=audit, name="audit")
    t1.start()
    t2.start()
    both_hold.wait()
    time.sleep(0.05)
    ready()
    t1.join()  # LINE:main_join


if __name__ == "__main__":
    main()
