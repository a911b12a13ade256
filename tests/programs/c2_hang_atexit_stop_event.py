"""Hang at exit: a non-daemon thread is told to stop from an atexit handler. The heartbeat
thread waits for `stop` (no timeout); the program registers `stop.set` with atexit and lets
the main thread finish. But the interpreter joins non-daemon threads (threading._shutdown)
before it runs the atexit handlers: the main thread waits for the heartbeat forever."""
import atexit
import threading

from _appkit import ready

stop = threading.Event()
beats = []


def heartbeat():
    while not stop.is_set():
        stop.wait()  # LINE:heartbeat_wait
        beats.append("stopping")


def main():
    threading.Thread(target=heartbeat, name="heartbeat").start()
    atexit.register(stop.set)  # BUG: runs only after the non-daemon threads have ended
    ready()


if __name__ == "__main__":
    main()
