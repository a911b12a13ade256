"""Hang: an Event that no thread will ever set (the thread that should set it has exited)."""
import threading
import time

from _appkit import ready

config_ready = threading.Event()


def loader():
    time.sleep(0.01)
    # BUG: returns early without config_ready.set()


def main():
    t = threading.Thread(target=loader, name="loader")
    t.start()
    t.join()
    ready()
    config_ready.wait()  # LINE:event_wait


if __name__ == "__main__":
    main()
