"""Healthy, busy: an asyncio ingest pipeline. Task "reader" puts records on a bounded
asyncio.Queue, task "writer" gets them and batches them; both run at full speed on one loop."""
import asyncio

from _appkit import aio_run, create_task, ready


async def reader(q):
    n = 0
    while True:
        n += 1
        await q.put({"id": n, "payload": "x" * (n % 32)})  # LINE:reader_put


async def writer(q, stats):
    batch = []
    while True:
        batch.append(await q.get())  # LINE:writer_get
        if len(batch) >= 10:
            stats["written"] += len(batch)
            batch = []
        if stats["written"] == 100:
            ready()


async def main():
    q = asyncio.Queue(maxsize=5)
    stats = {"written": 0}
    tasks = [create_task(reader(q), "reader"), create_task(writer(q, stats), "writer")]
    await asyncio.gather(*tasks)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
