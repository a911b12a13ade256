"""Hang: an order-matching engine. The matcher takes the book lock, then waits on the
`orders_ready` condition for new orders (the condition has its own lock, so waiting releases
only that one); the gateway must take the book lock before it may add an order and notify.
The matcher sleeps holding the lock the only notifier needs."""
import threading
import time

from _appkit import ready


class OrderBook:
    def __init__(self):
        self.book_lock = threading.Lock()
        self.orders_ready = threading.Condition()
        self.orders = []

    def match_forever(self):
        with self.book_lock:  # LINE:matcher_with
            with self.orders_ready:
                while not self.orders:
                    self.orders_ready.wait()  # LINE:matcher_wait
                self.orders.clear()

    def submit(self, order):
        with self.book_lock:  # LINE:gateway_lock
            with self.orders_ready:
                self.orders.append(order)
                self.orders_ready.notify()


book = OrderBook()


def gateway():
    time.sleep(0.2)
    book.submit({"side": "buy", "qty": 10})


def main():
    matcher = threading.Thread(target=book.match_forever, name="matcher")
    gw = threading.Thread(target=gateway, name="gateway")
    matcher.start()
    gw.start()
    time.sleep(0.4)
    ready()
    gw.join()  # LINE:main_join
    matcher.join()


if __name__ == "__main__":
    main()
