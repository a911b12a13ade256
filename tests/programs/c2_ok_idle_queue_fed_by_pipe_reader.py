"""Healthy, idle: a metrics collector. Thread "reader" reads lines from an external child's
stdout (the child prints one sample every 30 minutes) and puts them in a queue.Queue;
thread "aggregator" holds `agg_lock` while it blocks in queue.get() (no timeout); "reporter"
waits for agg_lock; MainThread joins reporter.
Right verdict: NO deadlock (the queue's producer waits on an external pipe)."""
import queue
import subprocess
import sys
import threading
import time

from _appkit import ready

samples = queue.Queue()
agg_lock = threading.Lock()
totals = {"n": 0}
SRC = "import time\nwhile True:\n print(1, flush=True)\n time.sleep(1800)\n"


def reader(stream):
    for line in stream:  # LINE:reader_for
        samples.put(int(line))


def aggregator():
    while True:
        with agg_lock:  # LINE:agg_with
            totals["n"] += samples.get()  # LINE:get


def reporter():
    with agg_lock:
        print(totals)


def main():
    child = subprocess.Popen([sys.executable, "-c", SRC], stdout=subprocess.PIPE)
    threading.Thread(target=reader, args=(child.stdout,), name="reader", daemon=True).start()
    threading.Thread(target=aggregator, name="aggregator", daemon=True).start()
    # The child's first sample is in, and the aggregator waits for the next one holding agg_lock
    # (the test's own ordering: a slow child's first sample would otherwise let the reporter end).
    deadline = time.monotonic() + 60
    while not (totals["n"] >= 1 and agg_lock.locked()) and time.monotonic() < deadline:
        time.sleep(0.02)
    rep = threading.Thread(target=reporter, name="reporter")
    rep.start()
    time.sleep(0.2)
    ready()
    rep.join()


if __name__ == "__main__":
    main()
