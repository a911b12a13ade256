"""Healthy, busy: a rate limiter's counters protected by an asyncio.Lock, updated by 8 tasks
that each take the lock, yield inside it, and release it, forever."""
import asyncio

from _appkit import aio_run, create_task, ready


class Counters:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.hits = {}


async def client(counters, name):
    while True:
        async with counters.lock:  # LINE:client_lock
            n = counters.hits.get(name, 0)
            await asyncio.sleep(0)
            counters.hits[name] = n + 1


async def main():
    counters = Counters()
    tasks = [create_task(client(counters, "client-%d" % i), "client-%d" % i) for i in range(8)]
    while sum(counters.hits.values()) < 200:
        await asyncio.sleep(0.01)
    ready()
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    aio_run(main())
