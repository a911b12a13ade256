"""Hang: an asyncio task waits for an Event that the task meant to set it never sets. The
"warmup" task returns early when the cache file is missing (without setting `warmed`); the
"indexer" waits for `warmed`; main awaits the indexer. The other tasks have finished: nothing
can run again."""
import asyncio
import os

from _appkit import aio_run, create_task, ready


class Service:
    def __init__(self):
        self.warmed = asyncio.Event()
        self.cache = {}

    async def warmup(self, path):
        if not os.path.exists(path):
            return  # BUG: self.warmed is never set
        self.cache["loaded"] = path
        self.warmed.set()

    async def indexer(self):
        await self.warmed.wait()  # LINE:indexer_wait
        return len(self.cache)

    async def metrics(self):
        await asyncio.sleep(0.01)
        return "ok"


async def main():
    service = Service()
    await asyncio.gather(service.warmup("/nonexistent/cache.bin"), service.metrics())
    indexer = create_task(service.indexer(), "indexer")
    await asyncio.sleep(0.05)
    ready()
    await indexer  # LINE:main_await


if __name__ == "__main__":
    aio_run(main())
