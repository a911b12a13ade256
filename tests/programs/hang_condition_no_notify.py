"""Pickers wait on a Condition that nobody will ever notify.

Threads "picker-1" and "picker-2" wait in board.take() (jobboard.py) on board.jobs_ready, a
Condition over board.jobs_lock; the producer was never started (it is behind a feature flag
that is off). The main thread waits in join() for picker-1. Every thread waits without a timeout
for something only another thread could do.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging
from jobboard import JobBoard

log = logging.getLogger("pickers")
PRODUCER_ENABLED = False


def picker(board, arrivals):
    arrivals.arrive()
    job = board.take()  # LINE:picker_call
    log.info("picked %s", job)


if __name__ == "__main__":
    setup_logging()
    board = JobBoard()
    arrivals = Rendezvous(2)
    pickers = [threading.Thread(target=picker, args=(board, arrivals), name=f"picker-{n}") for n in (1, 2)]
    for p in pickers:
        p.start()
    if PRODUCER_ENABLED:
        board.post("job-1")
    arrivals.wait_all()
    ready()
    for p in pickers:
        p.join()  # LINE:join
