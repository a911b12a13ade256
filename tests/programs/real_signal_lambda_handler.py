"""Hang: a SIGHUP handler written as a lambda takes a lock the interrupted main thread holds. The
config service reloads on SIGHUP (`signal.signal(SIGHUP, lambda s, f: service.reload())`);
reload() takes `service.lock`, which the main thread holds while it serves a long request. The
"ops" thread sends SIGHUP during that request."""
import os
import signal
import threading
import time

from _appkit import ready



class ConfigService:
    def __init__(self):
        self.lock = threading.Lock()
        self.config = {"v": 1}
        self.busy = threading.Event()

    def reload(self):
        with self.lock:  # LINE:reload_with
            self.config = {"v": self.config["v"] + 1}

    def serve(self):
        with self.lock:  # LINE:serve_with
            self.busy.set()
            total = 0
            deadline = time.time() + 3.0
            while time.time() < deadline:  # LINE:serve_loop
                total += sum(range(1000))
            return total


service = ConfigService()


def ops():
    service.busy.wait()
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(0.5)
    ready()


def main():
    signal.signal(signal.SIGHUP, lambda s, f: service.reload())
    threading.Thread(target=ops, name="ops").start()
    service.serve()  # LINE:main_serve


if __name__ == "__main__":
    main()
