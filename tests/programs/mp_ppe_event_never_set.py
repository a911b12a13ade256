"""A ProcessPoolExecutor worker waits for a multiprocessing.Event the parent never sets; the
parent waits in future.result()."""
import concurrent.futures
import multiprocessing
import os
import time

gate = None


def init(event):
    global gate
    gate = event


def wait_for_gate():
    gate.wait()  # LINE:gate
    return "opened"


if __name__ == "__main__":
    event = multiprocessing.Event()
    with concurrent.futures.ProcessPoolExecutor(1, initializer=init, initargs=(event,)) as executor:
        future = executor.submit(wait_for_gate)
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        future.result()  # LINE:result
