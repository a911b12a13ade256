"""Hang: a lock-order cycle in a service that handles SIGTERM. The service installs a SIGTERM
handler for a graceful shutdown (it sets a flag the main loop checks); two worker threads then
deadlock on the config and metrics locks taken in opposite orders. A signal could wake the main
thread, but nothing can ever break the cycle between the workers."""
import signal
import threading
import time

from _appkit import ready

config_lock = threading.Lock()
metrics_lock = threading.Lock()
both_held = threading.Barrier(2)
shutting_down = threading.Event()


def on_sigterm(signum, frame):
    shutting_down.set()


def reload_config():
    with config_lock:  # LINE:reload_config
        both_held.wait()
        with metrics_lock:  # LINE:reload_metrics
            pass


def flush_metrics():
    with metrics_lock:  # LINE:flush_metrics
        both_held.wait()
        with config_lock:  # LINE:flush_config
            pass


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    workers = [threading.Thread(target=reload_config, name="config-reloader", daemon=True),
               threading.Thread(target=flush_metrics, name="metrics-flusher", daemon=True)]
    for w in workers:
        w.start()
    ready()
    while not shutting_down.is_set():
        for w in workers:
            w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
