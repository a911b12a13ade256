"""A lock-order deadlock through a Condition's lock.

OrderBook.changed is a threading.Condition; Ledger.lock a plain Lock. Thread "matcher" holds
book.changed (`with self.changed:` in OrderBook.match) and waits for ledger.lock; thread
"settler" holds ledger.lock (Ledger.settle) and waits for book.changed. The main thread waits in
join() for the matcher.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def settle(self, book, rendezvous):
        with self.lock:  # LINE:settle_hold
            rendezvous.meet()
            with book.changed:  # LINE:settle_wait
                self.entries.extend(book.orders)


class OrderBook:
    def __init__(self):
        self.changed = threading.Condition()
        self.orders = []

    def match(self, ledger, rendezvous):
        with self.changed:  # LINE:match_hold
            self.orders.append(("buy", 10))
            rendezvous.meet()
            with ledger.lock:  # LINE:match_wait
                ledger.entries.append(self.orders[-1])
            self.changed.notify_all()


if __name__ == "__main__":
    setup_logging()
    book = OrderBook()
    ledger = Ledger()
    rendezvous = Rendezvous(2)
    matcher = threading.Thread(target=book.match, args=(ledger, rendezvous), name="matcher")
    settler = threading.Thread(target=ledger.settle, args=(book, rendezvous), name="settler")
    matcher.start()
    settler.start()
    rendezvous.wait_all()
    ready()
    matcher.join()  # LINE:join
