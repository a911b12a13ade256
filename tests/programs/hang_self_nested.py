"""A log rotator takes the same plain Lock twice in nested `with` blocks (a copy-pasted block).

Thread "rotator" holds state.lock (taken at the outer `with`) and waits for it again at the
inner `with`: a self-deadlock. The main thread waits in join() for the rotator.
"""
import logging
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("rotator")


class RotationState:
    def __init__(self):
        self.lock = threading.Lock()
        self.pending = ["app.log.1", "app.log.2"]
        self.rotated = []


def rotate_logs(state, started):
    with state.lock:  # LINE:outer
        log.info("rotating %d files", len(state.pending))
        state.rotated.extend(state.pending)
        started.arrive()
        if state.pending:
            with state.lock:  # LINE:inner
                state.pending.clear()


if __name__ == "__main__":
    setup_logging()
    state = RotationState()
    started = Rendezvous(1)
    rotator = threading.Thread(target=rotate_logs, args=(state, started), name="rotator")
    rotator.start()
    started.wait_all()
    ready()
    rotator.join()  # LINE:join
