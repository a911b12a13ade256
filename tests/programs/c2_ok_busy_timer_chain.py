"""Healthy, busy: a heartbeat built from a chain of threading.Timer objects: each beat does a
little work and schedules the next beat 5 ms later, before it returns. The main thread waits
for a shutdown Event (no timeout) that only an operator would set."""
import threading

from _appkit import ready

shutdown = threading.Event()
state = {"beats": 0, "digest": 0}
announce = threading.Event()


def beat():
    state["beats"] += 1
    state["digest"] = (state["digest"] * 31 + sum(range(500))) % 1000003
    if state["beats"] == 20:
        announce.set()
    if not shutdown.is_set():
        schedule()


def schedule():
    timer = threading.Timer(0.005, beat)  # LINE:timer
    timer.name = "heartbeat-%d" % state["beats"]
    timer.daemon = True
    timer.start()


def main():
    schedule()
    announce.wait()
    ready()
    shutdown.wait()  # LINE:main_wait


if __name__ == "__main__":
    main()
