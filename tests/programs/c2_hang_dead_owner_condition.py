"""Hang: a Condition whose lock was left held by a pool thread that exited. The job scheduler's
"loader" thread enters the condition (over a plain Lock) with acquire(), fails to parse the job file and returns
through the except branch without release(); the "dispatcher" then waits to enter the condition
and the main thread joins it."""
import json
import threading
import time

from _appkit import ready


class Scheduler:
    def __init__(self):
        self.cond = threading.Condition(threading.Lock())
        self.jobs = []

    def load(self, text):
        self.cond.acquire()  # LINE:load_acquire
        try:
            self.jobs.extend(json.loads(text))
        except ValueError:
            return  # BUG: returns with the condition's lock held
        self.cond.notify_all()
        self.cond.release()

    def dispatch(self):
        with self.cond:  # LINE:dispatch_with
            while not self.jobs:
                self.cond.wait()
            return self.jobs.pop()


def main():
    scheduler = Scheduler()
    loader = threading.Thread(target=scheduler.load, args=("[{'job': 1}",), name="loader")
    loader.start()
    loader.join()
    time.sleep(0.2)  # the scheduler loads its other tables; the loader's thread is gone by then
    dispatcher = threading.Thread(target=scheduler.dispatch, name="dispatcher")
    dispatcher.start()
    ready()
    dispatcher.join()  # LINE:main_join


if __name__ == "__main__":
    main()
