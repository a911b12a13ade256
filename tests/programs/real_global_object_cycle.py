"""Hang: a lock-order cycle between a module-global lock taken with acquire() and an account
object's lock. Thread "statement" takes the global `audit_lock` with acquire() and then
checking_account._lock; thread "payroll" holds checking_account._lock (with) and then needs
audit_lock. The main thread joins both."""
import threading

from _appkit import ready

audit_lock = threading.Lock()
audit_log = []
both_hold = threading.Barrier(2)


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self._lock = threading.Lock()


checking_account = Account("checking", 1000)


def statement():
    audit_lock.acquire()  # LINE:statement_acquire
    try:
        both_hold.wait()
        with checking_account._lock:  # LINE:statement_wait
            audit_log.append(("statement", checking_account.balance))
    finally:
        audit_lock.release()


def payroll():
    with checking_account._lock:  # LINE:payroll_with
        checking_account.balance += 2500
        both_hold.wait()
        audit_lock.acquire()  # LINE:payroll_wait
        audit_log.append(("payroll", 2500))
        audit_lock.release()


def main():
    threads = [threading.Thread(target=statement, name="statement"),
               threading.Thread(target=payroll, name="payroll")]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
