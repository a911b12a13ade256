"""Healthy, idle: asyncio locks held across a long await. The "reindex" task holds the index lock
and then the cache lock while it waits for a slow backend (asyncio.sleep of an hour stands for
it); "query" tasks wait for the index lock, "refresh" waits for the cache lock. The holder
sleeps with a timer: it will release both. Not a deadlock."""
import asyncio

from _appkit import aio_run, create_task, ready


class Index:
    def __init__(self):
        self.index_lock = asyncio.Lock()
        self.cache_lock = asyncio.Lock()
        self.docs = {}

    async def reindex(self):
        async with self.index_lock:  # LINE:reindex_index
            async with self.cache_lock:  # LINE:reindex_cache
                await asyncio.sleep(3600)  # LINE:reindex_sleep
                self.docs.clear()

    async def query(self, word):
        async with self.index_lock:  # LINE:query_with
            return self.docs.get(word)

    async def refresh(self):
        async with self.cache_lock:  # LINE:refresh_with
            return len(self.docs)


async def main():
    index = Index()
    tasks = [create_task(index.reindex(), "reindex")]
    await asyncio.sleep(0.01)
    tasks += [create_task(index.query(w), "query-" + w) for w in ("alpha", "beta")]
    tasks.append(create_task(index.refresh(), "refresh"))
    await asyncio.sleep(0.05)
    ready()
    await asyncio.gather(*tasks)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
