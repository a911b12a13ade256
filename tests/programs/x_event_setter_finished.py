"""Hang: an Event whose only set() is in code no thread runs any more. The loader thread was to
set `config_loaded` at the end of load_config(), but it returns early when the file is missing;
the workers wait for the event forever and the main thread joins them."""
import threading

from _appkit import ready

config_loaded = threading.Event()
settings = {}


def load_config(path):
    try:
        with open(path) as f:
            settings.update(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
    except IOError:
        return  # BUG: config_loaded is never set on this path
    config_loaded.set()  # LINE:setter


def worker(n):
    config_loaded.wait()  # LINE:worker_wait
    print("worker", n, settings.get("mode"))


def main():
    loader = threading.Thread(target=load_config, args=("/nonexistent/app.conf",), name="loader")
    loader.start()
    loader.join()
    workers = [threading.Thread(target=worker, args=(n,), name="worker-%d" % n) for n in range(2)]
    for w in workers:
        w.start()
    threading.Timer(0.3, ready).start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
