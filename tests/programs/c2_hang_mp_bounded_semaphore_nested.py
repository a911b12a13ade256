# Two worker processes share a multiprocessing.BoundedSemaphore(2) that limits concurrent
# connections; each takes a slot for its request and, inside it, a second slot for a nested
# sub-request. With both processes in their first slot there is none left: each waits for the
# other, and neither releases its own. A real deadlock.
import multiprocessing as mp
import threading
import time

import _appkit


def fetch(slots):
    with slots:  # LINE:sub_with
        pass


def worker(slots, name):
    threading.current_thread().name = name
    with slots:  # LINE:outer_with
        time.sleep(0.3)
        fetch(slots)


def main():
    slots = mp.BoundedSemaphore(2)
    procs = [mp.Process(target=worker, args=(slots, "worker-%d" % i), name="worker-%d" % i) for i in range(2)]
    for p in procs:
        p.start()
    time.sleep(1.5)
    _appkit.ready()
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
