"""Healthy, idle: a lock-order inversion that a timeout breaks. The "settler" holds the ledger
lock and tries the account lock with acquire(timeout=3600), backing off when it fails; the
"statement" thread holds the account lock and waits for the ledger lock without a timeout.
Within an hour the settler gives up and releases the ledger: not a deadlock (yet)."""
import threading
import time

from _appkit import ready

ledger_lock = threading.Lock()
account_lock = threading.Lock()
both_held = threading.Barrier(2)


def settle():
    while True:
        with ledger_lock:  # LINE:settle_ledger
            both_held.wait()
            if account_lock.acquire(timeout=3600):  # LINE:settle_try
                try:
                    return "settled"
                finally:
                    account_lock.release()
        time.sleep(0.5)  # back off and retry


def statement():
    with account_lock:  # LINE:statement_account
        both_held.wait()
        with ledger_lock:  # LINE:statement_ledger
            return "statement"


def main():
    threads = [threading.Thread(target=settle, name="settler"), threading.Thread(target=statement, name="statement")]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
