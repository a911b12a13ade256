"""Deadlock (multiprocessing's guideline "Joining processes that use queues"): the parent joins a
child before reading what the child put on a multiprocessing.Queue. The child's feeder thread is
blocked writing into the queue's full pipe, the child does not exit before it has flushed it, and
the parent never reads. Optional argument: the start method (fork, spawn, forkserver)."""
import multiprocessing
import os
import sys


def produce(results):
    results.put("x" * 1_000_000)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        multiprocessing.set_start_method(sys.argv[1])
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=produce, args=(results,), name="producer")
    child.start()
    print(f"READY {os.getpid()}", flush=True)
    child.join()
    print(len(results.get()))
