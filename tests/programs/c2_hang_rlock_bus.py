"""Hang: two RLocks taken in opposite orders through callbacks. The EventBus delivers events
under its RLock and calls the subscribers' callbacks; the Model's callback takes the model's
RLock. The Model's update() holds the model's RLock and publishes on the bus. The "ui" thread
delivers an event while the "sync" thread updates the model."""
import threading

from _appkit import ready


class EventBus:
    def __init__(self):
        self._lock = threading.RLock()
        self._subscribers = []

    def subscribe(self, callback):
        with self._lock:
            self._subscribers.append(callback)

    def publish(self, event, rendezvous=None):
        with self._lock:  # LINE:publish_with
            if rendezvous is not None:
                rendezvous.wait()
            for callback in list(self._subscribers):
                callback(event)  # LINE:publish_callback


class Model:
    def __init__(self, bus):
        self._lock = threading.RLock()
        self._bus = bus
        self.values = {}
        bus.subscribe(self.on_event)

    def on_event(self, event):
        with self._lock:  # LINE:on_event_with
            self.values[event[0]] = event[1]

    def update(self, key, value, rendezvous):
        with self._lock:  # LINE:update_with
            self.values[key] = value
            rendezvous.wait()
            self._bus.publish(("changed", key))  # LINE:update_publish


def main():
    bus = EventBus()
    model = Model(bus)
    rendezvous = threading.Barrier(2)
    ui = threading.Thread(target=bus.publish, args=(("clicked", "save"), rendezvous), name="ui")
    sync = threading.Thread(target=model.update, args=("title", "Q3 report", rendezvous), name="sync")
    ui.start()
    sync.start()
    ready()
    ui.join()  # LINE:main_join
    sync.join()


if __name__ == "__main__":
    main()
