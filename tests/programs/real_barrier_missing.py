"""Hang: a Barrier with one party missing. The shard loader expects 3 shards, but the config
only lists 2: the 2 loader threads and the main thread wait at a Barrier of 4 parties:
3 arrive, nobody else ever will."""
import threading

from _appkit import ready

SHARDS = ["eu", "us"]  # "ap" was dropped from the config
loaded = threading.Barrier(len(SHARDS) + 2)  # BUG: still counts "ap"


def load(shard):
    loaded.wait()  # LINE:shard_wait


def main():
    for shard in SHARDS:
        threading.Thread(target=load, args=(shard,), name="shard-" + shard).start()
    ready()
    loaded.wait()  # LINE:main_wait


if __name__ == "__main__":
    main()
