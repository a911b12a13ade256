"""Hang: an asyncio image service resizes uploads in a 2-thread executor. Each resize is blocking
code that needs the image's metadata from an async store, so it schedules store.meta() on the
loop with run_coroutine_threadsafe and waits with concurrent.futures.wait([...]) (to report
errors the same way as its other batches). The store reads the metadata file with
run_in_executor on the same executor: the reads queue behind the 2 resizes that wait for them
(thread-pool starvation through the event loop, the wait spelled concurrent.futures.wait)."""
import asyncio
import concurrent.futures
import os
import sys

from _appkit import aio_run, ready

POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="resize")


def read_meta(name):
    return {"name": name, "width": 640}


class MetaStore:
    def __init__(self, loop):
        self.loop = loop

    async def meta(self, name):
        return await self.loop.run_in_executor(POOL, read_meta, name)  # LINE:store_await


def resize(store, name):
    pending = asyncio.run_coroutine_threadsafe(store.meta(name), store.loop)
    done, _ = concurrent.futures.wait([pending], return_when=concurrent.futures.FIRST_EXCEPTION)  # LINE:resize_wait
    meta = done.pop().result()
    return "%s@%d" % (name, meta["width"] // 2)


async def main():
    loop = asyncio.get_event_loop()
    store = MetaStore(loop)
    jobs = [loop.run_in_executor(POOL, resize, store, n) for n in ("cat.png", "dog.png")]
    # Both metadata reads are queued once both resizes wait for them.
    while POOL._work_queue.qsize() < len(jobs):
        await asyncio.sleep(0.01)
    loop.call_soon(ready)  # once main waits below: no timer left in the loop
    sizes = await asyncio.gather(*jobs)  # LINE:main_gather
    sys.stdout.write("%s\n" % sizes)
    os._exit(0)


if __name__ == "__main__":
    aio_run(main())
