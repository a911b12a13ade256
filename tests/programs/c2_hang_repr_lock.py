"""Hang: self-deadlock through __repr__ in a debug log. Basket.add() logs its own state under its
lock with "%r"; Basket.__repr__ takes the same (non-reentrant) lock to read the items
consistently. With DEBUG logging enabled the log call formats the record, calls __repr__, and
the thread waits for the lock it holds."""
import logging
import threading

from _appkit import ready

log = logging.getLogger("shop.basket")


class Basket:
    def __init__(self, owner):
        self.owner = owner
        self.lock = threading.Lock()
        self.items = []

    def __repr__(self):
        with self.lock:  # LINE:repr_with
            return "<Basket %s: %d items>" % (self.owner, len(self.items))

    def add(self, sku, qty):
        with self.lock:  # LINE:add_with
            self.items.append((sku, qty))
            log.debug("added %s x%d to %r", sku, qty, self)  # LINE:add_log


def main():
    logging.basicConfig(level=logging.DEBUG, format="%(threadName)s %(message)s")
    basket = Basket("alice")
    ready()
    basket.add("sku-1", 2)  # LINE:main_add


if __name__ == "__main__":
    main()
