"""Healthy, busy: an asyncio report service that pushes CPU work (checksums) to the default
thread pool with run_in_executor, in batches gathered by a dispatcher task, while a ticker task
keeps a heartbeat."""
import asyncio
import zlib

from _appkit import aio_run, create_task, ready


def checksum(block):
    data = bytes((block * 7 + i) % 256 for i in range(4096))
    return zlib.crc32(data)


async def dispatcher(totals):
    loop = asyncio.get_event_loop()
    block = 0
    while True:
        batch = [loop.run_in_executor(None, checksum, block + i) for i in range(8)]
        results = await asyncio.gather(*batch)  # LINE:gather
        totals["blocks"] += len(results)
        block += 8


async def ticker(totals):
    while True:
        await asyncio.sleep(0.005)
        totals["ticks"] += 1


async def main():
    totals = {"blocks": 0, "ticks": 0}
    tasks = [create_task(dispatcher(totals), "dispatcher"), create_task(ticker(totals), "ticker")]
    while totals["blocks"] < 100:
        await asyncio.sleep(0.01)
    ready()
    await asyncio.gather(*tasks)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
