"""Benchmark target (b): many threads, each with a deep Python stack, all blocked.

    python deep_threads.py [THREADS [DEPTH]]      defaults: 100 threads, 50 frames

Every worker thread has exactly DEPTH Python frames (threading's _bootstrap, _bootstrap_inner
and run, then `descend` recursing) and blocks in the innermost one on `gate.acquire()` (a C
call: no further Python frames) of a lock the main thread holds forever. Each frame has a few
locals (an int, a str, a tuple) so that the reader has some work per frame. The main thread
waits in join(). Prints `READY <pid>` (flushed) once every worker is parked; then it never
uses CPU again. Runs on CPython 3.8 to 3.14.
"""
import os
import sys
import threading
import time

THREADING_FRAMES = 3  # Thread._bootstrap, Thread._bootstrap_inner, Thread.run


def descend(level, gate, parked):
    label = "level-%d" % level
    pair = (level, label)
    if level > 1:
        return descend(level - 1, gate, parked) + len(pair)
    with parked["lock"]:
        parked["count"] += 1
    gate.acquire()  # blocks forever: the main thread holds the gate
    return len(label)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    levels = depth - THREADING_FRAMES
    if levels < 1:
        sys.exit("DEPTH must be at least %d" % (THREADING_FRAMES + 1))
    sys.setrecursionlimit(max(1000, depth + 100))
    threading.stack_size(1 << 20)  # 1 MiB stacks: enough for 50 frames, keeps the core small
    gate = threading.Lock()
    gate.acquire()
    parked = {"lock": threading.Lock(), "count": 0}
    workers = [threading.Thread(target=descend, args=(levels, gate, parked), name="worker-%d" % i, daemon=True)
               for i in range(threads)]
    for w in workers:
        w.start()
    while True:
        with parked["lock"]:
            if parked["count"] == threads:
                break
        time.sleep(0.01)
    time.sleep(0.2)  # the last ones to count are now inside acquire()
    print("READY %d" % os.getpid(), flush=True)
    workers[0].join()


if __name__ == "__main__":
    main()
