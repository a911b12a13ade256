"""Healthy, idle: a log-reopen helper. The "reopener" thread waits for SIGHUP with
signal.sigwait() and then sets `reopened`; the main thread waits for `reopened` (no timeout)
before it swaps the log files, and a writer thread waits on an empty queue. Everything waits,
but SIGHUP (sent by logrotate) will wake the program."""
import queue
import signal
import threading

from _appkit import ready

reopened = threading.Event()
lines = queue.Queue()


def reopener():
    while True:
        signal.sigwait({signal.SIGHUP})  # LINE:sigwait
        reopened.set()


def writer():
    while True:
        line = lines.get()  # LINE:writer_get
        print(line, flush=True)


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    threading.Thread(target=reopener, name="reopener", daemon=True).start()
    threading.Thread(target=writer, name="log-writer", daemon=True).start()
    ready()
    while True:
        reopened.wait()  # LINE:main_wait
        reopened.clear()
        lines.put("log reopened")


if __name__ == "__main__":
    main()
