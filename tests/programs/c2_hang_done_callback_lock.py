"""Hang: a one-worker executor. The main thread holds the registry lock and waits for the second
future; the worker is still busy with the first future's done-callback, which needs the registry
lock. The second future is queued behind the worker that the main thread blocks."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _appkit import ready

registry_lock = threading.Lock()
registry = {}


def load(name):
    time.sleep(0.1)
    return name.upper()


def remember(future):
    with registry_lock:  # LINE:callback_lock
        registry[future.result()] = True


def main():
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loader")
    first = pool.submit(load, "alpha")
    first.add_done_callback(remember)
    with registry_lock:  # LINE:main_with
        second = pool.submit(load, "beta")
        threading.Timer(0.5, ready).start()
        second.result()  # LINE:main_result


main()
