"""Hang: a session registry forgets sessions from weakref callbacks that take the registry's
lock. prune() drops the last references while it holds that lock, so the callback runs right
there, in the same thread, and waits for the lock its own caller holds."""
import threading
import weakref

from _appkit import ready


class Session:
    def __init__(self, name):
        self.name = name


class Registry:
    def __init__(self):
        self._lock = threading.Lock()
        self._refs = {}

    def add(self, session):
        with self._lock:
            self._refs[session.name] = weakref.ref(session, self._callback(session.name))

    def _callback(self, name):
        return lambda ref: self._forget(name)

    def _forget(self, name):
        with self._lock:  # LINE:forget_with
            self._refs.pop(name, None)

    def prune(self, sessions):
        with self._lock:  # LINE:prune_with
            sessions.clear()  # drops the last references: the callbacks run here


def main():
    registry = Registry()
    sessions = [Session("s%d" % i) for i in range(3)]
    for s in sessions:
        registry.add(s)
    ready()
    registry.prune(sessions)


if __name__ == "__main__":
    main()
