"""Hang: a small reactor (selectors + a wake-up pipe) runs its loop holding the reactor's lock,
because its callbacks change the registration table. A client thread schedules a callback with
call_soon(): it takes the same lock to append to the pending list and only then writes to the
wake-up pipe. The reactor sleeps in select() without a timeout, holding the lock the client needs
before it can wake it. MainThread waits for the reactor to stop."""
import os
import selectors
import threading
import time

from _appkit import ready


class Reactor:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending = []
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self.stopped = False
        self.running = threading.Event()  # set once the loop holds the lock

    def call_soon(self, callback):
        with self._lock:  # LINE:call_soon_with
            self._pending.append(callback)
        os.write(self._wake_w, b"\0")

    def run(self):
        with self._lock:  # LINE:run_with
            self.running.set()
            while not self.stopped:
                for key, _ in self._selector.select():  # LINE:select
                    os.read(key.fd, 512)
                pending, self._pending = self._pending, []
                for callback in pending:
                    callback()


calling = threading.Event()


def client(reactor):
    reactor.running.wait()  # whether or not it is in select() yet, it holds the lock
    calling.set()
    reactor.call_soon(lambda: setattr(reactor, "stopped", True))  # LINE:client_call


def main():
    reactor = Reactor()
    loop = threading.Thread(target=reactor.run, name="reactor")
    loop.start()
    threading.Thread(target=client, args=(reactor,), name="client").start()
    calling.wait()
    time.sleep(0.5)  # the client has reached call_soon() and waits for the lock
    ready()
    loop.join()  # LINE:main_join


if __name__ == "__main__":
    main()
