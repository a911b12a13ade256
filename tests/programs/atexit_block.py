"""An atexit handler that blocks: the main thread is in the middle of interpreter shutdown,
running on_exit() (called by the atexit machinery, from C, after the program's end). A daemon
thread ("bystander") stays blocked too.
"""
import atexit
import threading

from _blocking import HELD, ready


def bystander():
    HELD.acquire()  # LINE:bystander


def on_exit(reason):
    ready()
    HELD.acquire()  # LINE:on_exit


if __name__ == "__main__":
    threading.Thread(target=bystander, name="bystander", daemon=True).start()
    atexit.register(on_exit, "shutting down")
