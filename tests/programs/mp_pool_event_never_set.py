"""A multiprocessing.Pool worker waits (apply_async) for a multiprocessing.Event that nobody
sets; the parent waits in AsyncResult.get()."""
import multiprocessing
import os
import time

go = None


def init(event):
    global go
    go = event


def start_when_told():
    go.wait()  # LINE:wait
    return 1


if __name__ == "__main__":
    event = multiprocessing.Event()
    with multiprocessing.Pool(1, initializer=init, initargs=(event,)) as pool:
        result = pool.apply_async(start_when_told)
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        result.get()  # LINE:get
