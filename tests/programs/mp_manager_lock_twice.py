"""A child takes the same multiprocessing.Manager lock twice; the manager's server thread for
that child waits on a threading.Lock it took for the same child. The parent joins the child."""
import multiprocessing
import os
import time


def update(guard):
    with guard:  # LINE:outer
        with guard:  # LINE:inner
            pass


if __name__ == "__main__":
    with multiprocessing.Manager() as manager:
        guard = manager.Lock()
        child = multiprocessing.Process(target=update, args=(guard,), name="updater")
        child.start()
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        child.join()  # LINE:join
