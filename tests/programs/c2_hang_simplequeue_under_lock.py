"""Hang: a results collector holds `results_lock` while it blocks in SimpleQueue.get() (a C
queue); the producer thread must take `results_lock` to register the job before it puts the
result. Thread "collector" holds results_lock, waits for the SimpleQueue; "producer" waits for
results_lock; MainThread joins collector.
Every thread is blocked: the collector waits on a queue whose only producer waits for the lock
the collector holds. queue.SimpleQueue (3.7+) is C: no Python frame of its own waits."""
import queue
import threading
import time

from _appkit import ready

results = queue.SimpleQueue()
results_lock = threading.Lock()
registry = {}


def collector():
    with results_lock:  # LINE:collector_with
        registry["expected"] = 1
        item = results.get()  # LINE:get
        registry["got"] = item


def producer():
    time.sleep(0.2)
    with results_lock:  # LINE:producer_with
        registry["job-1"] = "running"
    results.put(("job-1", 42))


def main():
    c = threading.Thread(target=collector, name="collector")
    p = threading.Thread(target=producer, name="producer")
    c.start()
    p.start()
    time.sleep(0.5)
    ready()
    c.join()  # LINE:main_join


if __name__ == "__main__":
    main()
