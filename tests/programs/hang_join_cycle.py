"""A thread joins another thread while holding the lock that thread needs.

Planner.coordinate() (thread "coordinator") holds self.plan_lock and starts and joins thread
"step-worker"; the worker runs Planner.apply_step(), which waits for self.plan_lock: a cycle of
a join and a lock. The main thread waits in join() for the coordinator, stuck behind it.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("planner")


class Planner:
    def __init__(self, arrivals):
        self.plan_lock = threading.Lock()
        self.steps = ["fetch", "build", "deploy"]
        self.arrivals = arrivals

    def apply_step(self):
        self.arrivals.arrive()
        with self.plan_lock:  # LINE:worker_wait
            self.steps.pop(0)

    def coordinate(self):
        with self.plan_lock:  # LINE:coordinator_hold
            log.info("planning %d steps", len(self.steps))
            worker = threading.Thread(target=self.apply_step, name="step-worker")
            worker.start()
            worker.join()  # LINE:coordinator_join


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(1)
    planner = Planner(arrivals)
    coordinator = threading.Thread(target=planner.coordinate, name="coordinator")
    coordinator.start()
    arrivals.wait_all()
    ready()
    coordinator.join()  # LINE:main_join
