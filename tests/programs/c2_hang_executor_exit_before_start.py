# Shard loaders submitted inside `with ThreadPoolExecutor() as ex:` wait for a start Event that
# main sets only after the with block; leaving the block runs shutdown(wait=True), which joins
# the loaders first. A real hang: main waits for the workers, the workers for main's set().
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import _appkit

start = threading.Event()


def load_shard(n):
    start.wait()  # LINE:shard_wait
    return n * 10


def main():
    threading.Timer(1.0, _appkit.ready).start()
    with ThreadPoolExecutor(max_workers=2) as ex:  # LINE:with_pool
        futs = [ex.submit(load_shard, i) for i in range(2)]
    start.set()  # LINE:start_set
    print([f.result() for f in futs])


if __name__ == "__main__":
    main()
