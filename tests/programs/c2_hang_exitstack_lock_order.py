"""Hang: a warehouse service. Placing an order takes the orders lock and then the stock lock
through a contextlib.ExitStack (the locks it needs are chosen at run time); restocking takes the
stock lock and then the orders lock with nested `with`. Each holds the lock the other waits for."""
import contextlib
import threading
import time

from _appkit import ready

orders_lock = threading.Lock()
stock_lock = threading.Lock()
both_in = threading.Barrier(2)


def place_order(needs):
    with contextlib.ExitStack() as stack:  # LINE:order_stack
        for lock in needs:
            stack.enter_context(lock)  # LINE:order_enter
            if lock is orders_lock:
                both_in.wait()
        return "placed"


def restock():
    with stock_lock:  # LINE:restock_with
        both_in.wait()
        with orders_lock:  # LINE:restock_orders
            return "restocked"


def main():
    order = threading.Thread(target=place_order, args=([orders_lock, stock_lock],), name="place-order")
    refill = threading.Thread(target=restock, name="restock")
    order.start()
    refill.start()
    time.sleep(0.3)
    ready()
    order.join()  # LINE:join


if __name__ == "__main__":
    main()
