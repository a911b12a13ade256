"""Healthy, idle: a finalizer waits for a lock that ANOTHER thread holds. The "auditor" thread
holds the registry lock during a long audit (a sleep stands for it). Meanwhile the main thread
drops a Widget with a reference cycle; the collector runs Widget.__del__ on the main thread,
which waits for the registry lock. The main thread does not hold it: when the audit ends, the
finalizer proceeds. Not a deadlock (nor a garbage-collector re-entrancy)."""
import gc
import threading
import time

from _appkit import ready


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.names = set()

    def audit(self):
        with self.lock:  # LINE:audit_with
            time.sleep(3600)  # LINE:audit_sleep

    def unregister(self, name):
        with self.lock:  # LINE:unregister_with
            self.names.discard(name)


registry = Registry()


class Widget:
    def __init__(self, name):
        self.name = name
        self.me = self

    def __del__(self):
        registry.unregister(self.name)  # LINE:del_unregister


def main():
    gc.disable()
    auditor = threading.Thread(target=registry.audit, name="auditor", daemon=True)
    auditor.start()
    while not registry.lock.locked():
        time.sleep(0.01)
    Widget("sidebar")
    ready()
    gc.collect()  # LINE:main_collect


if __name__ == "__main__":
    main()
