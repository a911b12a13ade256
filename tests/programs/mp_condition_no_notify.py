"""A child waits on a multiprocessing.Condition that nobody notifies; the parent joins it."""
import multiprocessing
import os
import time


def wait_for_news(changed):
    with changed:
        changed.wait()  # LINE:wait


if __name__ == "__main__":
    changed = multiprocessing.Condition()
    child = multiprocessing.Process(target=wait_for_news, args=(changed,), name="listener")
    child.start()
    time.sleep(1.0)
    print(f"READY {os.getpid()}", flush=True)
    child.join()  # LINE:join
