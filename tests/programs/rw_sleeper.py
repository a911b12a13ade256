"""Idle, no deadlock (for `pyhang run --idle`): prints READY, then sleeps SECONDS (argument,
default 3600) in the main thread while a helper thread waits for an event nobody needs, and
exits 0."""
import sys
import threading
import time

from _appkit import ready


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3600.0
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, args=(seconds + 60,), name="helper", daemon=True)
    helper.start()
    ready()
    time.sleep(seconds)


if __name__ == "__main__":
    main()
