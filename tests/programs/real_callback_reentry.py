"""Hang: a self-deadlock through a callback. The event bus publishes under its non-reentrant
lock and calls the subscribers' callbacks; one callback subscribes another listener, which
takes the bus lock again in the same thread."""
import threading

from _appkit import ready


class EventBus:
    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers = []

    def subscribe(self, callback):
        with self._lock:  # LINE:subscribe_with
            self._subscribers.append(callback)

    def publish(self, event):
        with self._lock:  # LINE:publish_with
            for callback in list(self._subscribers):
                callback(event)  # LINE:publish_call


bus = EventBus()


def on_user_created(event):
    ready()
    bus.subscribe(lambda e: print("welcome mail for", e))  # LINE:callback_subscribe


def main():
    bus.subscribe(on_user_created)
    worker = threading.Thread(target=bus.publish, args=({"user": "dana"},), name="publisher")
    worker.start()
    worker.join()  # LINE:main_join


if __name__ == "__main__":
    main()
