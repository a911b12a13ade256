"""Hang: an event bus calls its subscribers while holding its lock; one subscriber hands the
event to a worker thread and waits for the worker's answer, but the worker first publishes a
'started' event on the same bus and needs the lock."""
import queue
import threading
import time
from concurrent.futures import Future

from _appkit import ready


class Bus:
    def __init__(self):
        self.lock = threading.Lock()
        self.subscribers = []

    def subscribe(self, fn):
        with self.lock:
            self.subscribers.append(fn)

    def publish(self, event):
        with self.lock:  # LINE:publish_with
            for fn in list(self.subscribers):
                fn(event)  # LINE:call


bus = Bus()
tasks = queue.Queue()


def worker():
    while True:
        event, answer = tasks.get()
        bus.publish(("started", event))  # LINE:worker_publish
        answer.set_result(event[1] * 2)


def on_order(event):
    if event[0] != "order":
        return
    answer = Future()
    tasks.put((event, answer))
    answer.result()  # LINE:wait


def main():
    threading.Thread(target=worker, name="worker", daemon=True).start()
    bus.subscribe(on_order)
    threading.Timer(0.5, ready).start()
    bus.publish(("order", 21))


if __name__ == "__main__":
    main()
