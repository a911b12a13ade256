"""Healthy, idle: a sched.scheduler runs periodic maintenance in the main thread (sleeping until
the next event, far away); an API thread adds events under the scheduler's lock when requests
arrive on its queue, which is empty."""
import queue
import sched
import threading
import time

from _appkit import ready

scheduler = sched.scheduler(time.time, time.sleep)
requests = queue.Queue()


def maintenance():
    scheduler.enter(3600, 1, maintenance)


def api():
    while True:
        delay = requests.get()
        scheduler.enter(delay, 2, lambda: None)


def main():
    threading.Thread(target=api, name="api", daemon=True).start()
    scheduler.enter(3600, 1, maintenance)
    threading.Timer(0.3, ready).start()
    scheduler.run()


if __name__ == "__main__":
    main()
