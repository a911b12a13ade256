"""Healthy, idle: a config reloader. Thread "reloader" waits in signal.sigwait() for SIGHUP
(blocked in every thread so that only sigwait takes it); the main thread waits in signal.pause()
for SIGTERM/SIGINT, whose default action ends the process."""
import signal
import threading

from _appkit import ready

config = {"generation": 0}


def reloader():
    while True:
        signal.sigwait({signal.SIGHUP})  # LINE:sigwait
        config["generation"] += 1


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    threading.Thread(target=reloader, name="reloader", daemon=True).start()
    ready()
    while True:
        signal.pause()  # LINE:pause


if __name__ == "__main__":
    main()
