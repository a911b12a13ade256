"""A healthy, busy program for bench/watch_cost.py: 4 threads share counters under a lock and
build small objects, a fixed amount of work (about 2-4 s of CPU). At the end it prints its own
CPU time and wall time (`WORK cpu_ms wall_ms`) so that the watcher's cost can be told apart from
the target's."""
import os
import sys
import threading
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 800_000
lock = threading.Lock()
counters = {}


def work(name):
    for i in range(ROUNDS):
        item = {"n": i, "name": name, "tags": [i % 7, i % 11]}
        with lock:
            counters[name] = counters.get(name, 0) + len(item["tags"])


if __name__ == "__main__":
    start = time.monotonic()
    threads = [threading.Thread(target=work, args=("w%d" % i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = os.times()
    sys.stdout.write("WORK %.1f %.1f\n" % ((cpu.user + cpu.system) * 1000, (time.monotonic() - start) * 1000))
