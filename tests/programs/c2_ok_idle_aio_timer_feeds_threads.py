"""Healthy, idle: worker threads wait in queue.Queue.get(); an asyncio loop in the main thread
feeds them from a timer callback scheduled an hour ahead (loop.call_later)."""
import asyncio
import queue
import threading

from _appkit import aio_run, ready

jobs = queue.Queue()


def worker():
    while True:
        print("job", jobs.get(), flush=True)


async def main():
    loop = asyncio.get_event_loop()
    for n in range(2):
        threading.Thread(target=worker, name="worker-%d" % n, daemon=True).start()
    loop.call_later(3600, jobs.put, "nightly-report")
    await asyncio.sleep(0.1)
    ready()
    await asyncio.sleep(7200)


aio_run(main())
