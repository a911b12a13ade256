"""Healthy (for pyhang's purposes): a service whose main thread holds the config lock and
sleeps in a loop (a periodic reload, every second), while a daemon "metrics-push" thread is
blocked on that lock and a daemon "shutdown-hook" thread waits for an Event set only at exit.
The main thread sleeps with a timeout: it can still act, so this is no deadlock."""
import threading
import time

from _appkit import ready

config_lock = threading.Lock()
exiting = threading.Event()
config = {"interval": 1}


def metrics_push():
    while True:
        with config_lock:  # LINE:push_with
            interval = config["interval"]
        time.sleep(interval)


def shutdown_hook():
    exiting.wait()  # LINE:hook_wait
    print("flushing", flush=True)


def main():
    config_lock.acquire()  # LINE:main_acquire (held while the config is being reloaded)
    threading.Thread(target=metrics_push, name="metrics-push", daemon=True).start()
    threading.Thread(target=shutdown_hook, name="shutdown-hook", daemon=True).start()
    ready()
    while True:
        time.sleep(1.0)  # LINE:main_sleep
        config["interval"] = 1


if __name__ == "__main__":
    main()
