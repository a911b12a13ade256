"""Healthy, idle: a sharded index build. Three shard threads finished their part and wait at the
barrier (no timeout) for the fourth, "shard-archive", which is still "downloading" its data
(time.sleep stands for a slow transfer of an hour). The main thread joins the shards. Not a
deadlock: the late party will arrive."""
import threading
import time

from _appkit import ready

merge_point = threading.Barrier(4)
parts = {}


def build_shard(name, seconds):
    time.sleep(seconds)  # LINE:shard_sleep
    parts[name] = "index of " + name
    merge_point.wait()  # LINE:barrier_wait


def main():
    shards = [threading.Thread(target=build_shard, args=(name, 0.0), name=name)
              for name in ("shard-eu", "shard-us", "shard-asia")]
    shards.append(threading.Thread(target=build_shard, args=("shard-archive", 3600.0), name="shard-archive"))
    for s in shards:
        s.start()
    ready()
    for s in shards:
        s.join()  # LINE:main_join


if __name__ == "__main__":
    main()
