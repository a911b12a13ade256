"""A child waits in multiprocessing.Queue.get() for an item nobody puts; the parent joins it."""
import multiprocessing
import os
import time


def consume(jobs):
    item = jobs.get()  # LINE:get
    print(item)


if __name__ == "__main__":
    jobs = multiprocessing.Queue()
    child = multiprocessing.Process(target=consume, args=(jobs,), name="consumer")
    child.start()
    time.sleep(1.0)
    print(f"READY {os.getpid()}", flush=True)
    child.join()  # LINE:join
