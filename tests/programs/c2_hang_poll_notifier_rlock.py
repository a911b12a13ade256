"""Hang: an event-bus notifier. Its `wait_events()` runs in thread "dispatcher" inside
`with self._lock:` (an RLock) and waits in select.poll().poll() (no timeout) on the read end of
an os.pipe(); `publish()` (thread "publisher") must take the same RLock to append the event
before it writes the wake-up byte. MainThread joins the publisher. Live only: what poll() waits
for comes from the kernel."""
import os
import select
import threading
import time

from _appkit import ready


class Notifier:
    def __init__(self):
        self._lock = threading.RLock()
        self._events = []
        self._r, self._w = os.pipe()
        self._poll = select.poll()
        self._poll.register(self._r, select.POLLIN | select.POLLPRI)
        self.holding = threading.Event()

    def wait_events(self):
        with self._lock:  # LINE:hold
            self.holding.set()
            while not self._events:
                self._poll.poll()  # LINE:poll
                os.read(self._r, 64)
            out, self._events = self._events, []
            return out

    def publish(self, ev):
        with self._lock:  # LINE:publish_wait
            self._events.append(ev)
        os.write(self._w, b"\0")


def main():
    n = Notifier()
    threading.Thread(target=n.wait_events, name="dispatcher").start()
    n.holding.wait()  # in poll() or about to be: it holds the lock either way
    pub = threading.Thread(target=n.publish, args=("config-changed",), name="publisher")
    pub.start()
    time.sleep(0.5)  # the publisher waits for the lock
    ready()
    pub.join()


if __name__ == "__main__":
    main()
