"""Hang: a job dispatcher. The poller thread holds the state lock while it blocks in
select.select() (no timeout) on its wake-up pipe; the submitter must take the state lock to
record the job before it writes the wake-up byte."""
import os
import select
import threading
import time

from _appkit import ready


class Dispatcher:
    def __init__(self):
        self.state_lock = threading.Lock()
        self.wake_r, self.wake_w = os.pipe()
        self.jobs = []

    def poll_loop(self):
        with self.state_lock:  # LINE:poll_with
            select.select([self.wake_r], [], [])  # LINE:poll_select
            os.read(self.wake_r, 1)

    def submit(self, job):
        time.sleep(0.1)
        with self.state_lock:  # LINE:submit_lock
            self.jobs.append(job)
            os.write(self.wake_w, b"x")


def main():
    dispatcher = Dispatcher()
    poller = threading.Thread(target=dispatcher.poll_loop, name="poller")
    submitter = threading.Thread(target=dispatcher.submit, args=("report",), name="submitter")
    poller.start()
    submitter.start()
    time.sleep(0.4)
    ready()
    poller.join()  # LINE:join


if __name__ == "__main__":
    main()
