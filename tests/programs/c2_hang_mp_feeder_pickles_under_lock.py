"""Hang: a job pickles its settings under the registry lock (Job.__getstate__); the parent puts a
job on a multiprocessing.Queue while it holds that lock, and waits there for the worker's answer.
Queue.put() returns at once: the item is pickled later, by the queue's feeder thread, which waits
for the lock the main thread holds while it waits for the answer the worker never gets to send."""
import multiprocessing
import threading

from _appkit import ready

registry_lock = threading.Lock()


class Job:
    def __init__(self, name, settings):
        self.name = name
        self.settings = settings

    def __getstate__(self):
        with registry_lock:  # LINE:getstate_with
            return {"name": self.name, "settings": dict(self.settings)}


def render(jobs, results):
    while True:
        job = jobs.get()  # LINE:jobs_get
        results.put("rendered " + job.name)


def main():
    jobs, results = multiprocessing.Queue(), multiprocessing.Queue()
    worker = multiprocessing.Process(target=render, args=(jobs, results), name="renderer", daemon=True)
    worker.start()
    threading.Timer(1.0, ready).start()
    with registry_lock:  # LINE:registry_with
        jobs.put(Job("monthly-report", {"format": "pdf"}))
        print(results.get())  # LINE:results_get


if __name__ == "__main__":
    main()
