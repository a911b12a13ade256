"""A multiprocessing.Barrier for three parties, but only two processes ever arrive; the parent
joins the first."""
import multiprocessing
import os
import time


def arrive(barrier):
    barrier.wait()  # LINE:wait


if __name__ == "__main__":
    barrier = multiprocessing.Barrier(3)
    children = [multiprocessing.Process(target=arrive, args=(barrier,), name=f"party-{i}") for i in (1, 2)]
    for c in children:
        c.start()
    time.sleep(1.0)
    print(f"READY {os.getpid()}", flush=True)
    children[0].join()  # LINE:join
