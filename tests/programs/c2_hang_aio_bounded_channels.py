"""Hang: the asyncio version of two stages over two bounded queues: each task sends its backlog
into the other's asyncio.Queue(maxsize=4) before it takes from its own, and both queues fill."""
import asyncio

from _appkit import aio_run, create_task, ready


async def stage(kind, outbox, inbox):
    for doc_id in range(16):
        await outbox.put((kind, doc_id))  # LINE:stage_put
    while True:
        await outbox.put(await inbox.get())


async def main():
    to_enricher, to_indexer = asyncio.Queue(maxsize=4), asyncio.Queue(maxsize=4)
    indexer = create_task(stage("index", to_enricher, to_indexer), "indexer")
    enricher = create_task(stage("enrich", to_indexer, to_enricher), "enricher")
    await asyncio.sleep(0.3)
    ready()
    await asyncio.gather(indexer, enricher)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
