"""Hang: a Barrier(4) that only three threads ever reach (the fourth loader was never started)."""
import threading
import time

from _appkit import ready

shards_loaded = threading.Barrier(4)


def load(shard):
    time.sleep(0.01 * shard)
    shards_loaded.wait()  # LINE:barrier_wait


def main():
    loaders = [threading.Thread(target=load, args=(i,), name="loader-%d" % i) for i in range(3)]
    for t in loaders:
        t.start()
    while shards_loaded.n_waiting < 3:
        time.sleep(0.01)
    ready()
    for t in loaders:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
