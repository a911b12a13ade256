"""Hang: lock-order inversion through methods of two classes. Warehouse.reserve() holds the
warehouse's lock and then takes the order's lock (to attach the stock); Order.cancel() holds the
order's lock and then takes the warehouse's lock (to give the stock back). The "reservations"
and "cancellations" threads each hold the first and wait for the second."""
import threading

from _appkit import ready


class Order:
    def __init__(self, number):
        self.number = number
        self.lock = threading.Lock()
        self.items = []

    def attach(self, sku, qty):
        with self.lock:  # LINE:attach_with
            self.items.append((sku, qty))

    def cancel(self, warehouse, both_hold):
        with self.lock:  # LINE:cancel_with
            items = list(self.items)
            both_hold.wait()
            for sku, qty in items:
                warehouse.release(sku, qty)  # LINE:cancel_release
            del self.items[:]


class Warehouse:
    def __init__(self):
        self.lock = threading.Lock()
        self.stock = {"sku-1": 10, "sku-2": 4}

    def reserve(self, order, sku, qty, both_hold):
        with self.lock:  # LINE:reserve_with
            self.stock[sku] -= qty
            both_hold.wait()
            order.attach(sku, qty)  # LINE:reserve_attach

    def release(self, sku, qty):
        with self.lock:  # LINE:release_with
            self.stock[sku] += qty


def main():
    warehouse = Warehouse()
    order = Order(1042)
    order.items.append(("sku-2", 1))
    both_hold = threading.Barrier(2)
    threads = [
        threading.Thread(target=warehouse.reserve, args=(order, "sku-1", 2, both_hold), name="reservations"),
        threading.Thread(target=order.cancel, args=(warehouse, both_hold), name="cancellations"),
    ]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
