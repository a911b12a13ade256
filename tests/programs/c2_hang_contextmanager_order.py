"""Hang: a lock-order cycle through @contextmanager helpers. An inventory service guards its
stock table with `Inventory.locked()` (a generator that yields inside `with self._lock:`) and its
order book with `OrderBook.locked()` (acquire(), try: yield, finally: release()). The restocker
takes the stock, then the orders; the order taker the orders, then the stock. The locks are held
by suspended generators, on no thread's stack."""
import contextlib
import logging
import threading
import time

from _appkit import ready

log = logging.getLogger("inventory")


class Inventory:
    def __init__(self):
        self._lock = threading.Lock()
        self.stock = {"widget": 4, "gadget": 0}

    @contextlib.contextmanager
    def locked(self):
        with self._lock:  # LINE:inventory_with
            yield self.stock


class OrderBook:
    def __init__(self):
        self._mutex = threading.Lock()
        self.open = [("gadget", 2)]

    @contextlib.contextmanager
    def locked(self):
        self._mutex.acquire()  # LINE:orders_acquire
        try:
            yield self.open
        finally:
            self._mutex.release()


inventory = Inventory()
orders = OrderBook()


def restock():
    with inventory.locked() as stock:  # LINE:restock_stock
        stock["gadget"] += 5
        time.sleep(0.2)
        with orders.locked() as book:  # LINE:restock_orders
            log.info("restocked; %d orders open", len(book))


def take_orders():
    with orders.locked() as book:  # LINE:take_orders
        book.append(("widget", 1))
        time.sleep(0.2)
        with inventory.locked() as stock:  # LINE:take_stock
            stock["widget"] -= 1


def main():
    workers = [threading.Thread(target=restock, name="restocker"),
               threading.Thread(target=take_orders, name="order-taker")]
    for w in workers:
        w.start()
    threading.Timer(0.6, ready).start()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
