"""Healthy: the parent consumes results from a multiprocessing.Queue (get() without a timeout)
while a "simulator" child computes for a long time between results. Read without --children the
producer is a child process the report does not show: not a deadlock."""
import multiprocessing
import os

from _appkit import ready


def simulate(results):
    os.nice(19)  # a batch job: it yields the CPU to anything else on the machine
    state = 1
    step = 0
    while True:
        for i in range(3000000):
            state = (state * 1103515245 + 12345) % 2147483648
        step += 1
        results.put((step, state))


def main():
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=simulate, args=(results,), name="simulator", daemon=True)
    child.start()
    ready()
    while True:
        step, state = results.get()  # LINE:results_get
        print("step %d: %d" % (step, state), flush=True)


if __name__ == "__main__":
    main()
