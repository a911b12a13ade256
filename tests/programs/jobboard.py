"""A job board for hang_condition_no_notify.py: pickers wait on a Condition for jobs that a
producer posts (the producer in that program never does)."""
import threading


class JobBoard:
    def __init__(self):
        self.jobs_lock = threading.Lock()
        self.jobs_ready = threading.Condition(self.jobs_lock)
        self.jobs = []

    def take(self):
        with self.jobs_ready:  # LINE:take_hold
            while not self.jobs:
                self.jobs_ready.wait()  # LINE:take_wait
            return self.jobs.pop(0)

    def post(self, job):
        with self.jobs_ready:
            self.jobs.append(job)
            self.jobs_ready.notify()
