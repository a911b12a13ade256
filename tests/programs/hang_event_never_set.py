"""Workers wait for an Event that the thread meant to set it never sets: it crashed.

Thread "config-loader" raises before it sets service.config_loaded; threads "worker-1" and
"worker-2" wait in service.config_loaded.wait() forever, and the main thread waits in
service.stopped.wait(). Every thread waits without a timeout.
"""
import json
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("service")


class Service:
    def __init__(self):
        self.config_loaded = threading.Event()
        self.stopped = threading.Event()
        self.config = None

    def load_config(self):
        self.config = json.loads("{not json")  # raises: config_loaded is never set
        self.config_loaded.set()

    def work(self, arrivals):
        arrivals.arrive()
        self.config_loaded.wait()  # LINE:worker_wait
        log.info("working with %r", self.config)


if __name__ == "__main__":
    setup_logging()
    service = Service()
    loader = threading.Thread(target=service.load_config, name="config-loader")
    loader.start()
    loader.join()
    arrivals = Rendezvous(2)
    workers = [threading.Thread(target=service.work, args=(arrivals,), name=f"worker-{n}") for n in (1, 2)]
    for w in workers:
        w.start()
    arrivals.wait_all()
    ready()
    service.stopped.wait()  # LINE:main_wait
