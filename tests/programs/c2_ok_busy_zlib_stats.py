"""Healthy, busy: four threads compress blocks with zlib (which releases the GIL) and add their
sizes to shared statistics under a lock; the main thread reads the statistics under the same
lock twice a second."""
import os
import threading
import time
import zlib

from _appkit import ready

stats_lock = threading.Lock()
stats = {"blocks": 0, "in": 0, "out": 0}


def compressor(seed):
    block = (os.urandom(64) * 2048)[seed:]
    while True:
        out = zlib.compress(block, 6)
        with stats_lock:
            stats["blocks"] += 1
            stats["in"] += len(block)
            stats["out"] += len(out)


def main():
    for i in range(4):
        threading.Thread(target=compressor, args=(i,), name="zlib-%d" % i, daemon=True).start()
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(0.5)
        with stats_lock:
            ratio = stats["out"] / max(1, stats["in"])


if __name__ == "__main__":
    main()
