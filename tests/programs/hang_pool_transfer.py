"""A lock-order deadlock between two ThreadPoolExecutor workers; the main thread waits for the
results.

The executor (thread_name_prefix="transfer") runs Account.transfer_to (bank.py) in both
directions: transfer_0 holds checking.lock and waits for savings.lock, transfer_1 holds
savings.lock and waits for checking.lock. The main thread waits in future.result() for the first
transfer, stuck behind the cycle.
"""
import logging
from concurrent.futures import ThreadPoolExecutor

from _hangkit import Rendezvous, ready, setup_logging
from bank import Account

log = logging.getLogger("transfers")


def main():
    setup_logging()
    checking = Account("checking", 500)
    savings = Account("savings", 1000)
    rendezvous = Rendezvous(2)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="transfer") as executor:
        futures = [executor.submit(checking.transfer_to, savings, 100, rendezvous),
                   executor.submit(savings.transfer_to, checking, 250, rendezvous)]
        rendezvous.wait_all()
        ready()
        for future in futures:
            future.result()  # LINE:result
    log.info("balances: %r %r", checking, savings)


if __name__ == "__main__":
    main()
