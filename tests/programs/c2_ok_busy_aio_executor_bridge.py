"""Healthy, busy: blocking enrichment jobs run in a worker executor and look up addresses through
an async resolver (run_coroutine_threadsafe(...).result()); the resolver does its blocking calls
in a separate I/O executor, so the jobs never wait for work queued behind themselves. Batches
run back to back."""
import asyncio
import concurrent.futures
import zlib

from _appkit import aio_run, ready

WORKERS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="enrich")
IO = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="resolve")


def resolve_blocking(host):
    return "10.0.%d.%d" % (len(host) % 250, zlib.crc32(host.encode()) % 250)


async def resolve(loop, host):
    return await loop.run_in_executor(IO, resolve_blocking, host)  # LINE:resolve_await


def enrich(loop, record):
    address = asyncio.run_coroutine_threadsafe(resolve(loop, record["host"]), loop).result()  # LINE:enrich_result
    record["ip"] = address
    record["crc"] = zlib.crc32(repr(record).encode() * 50)
    return record


async def main():
    loop = asyncio.get_event_loop()
    batch = 0
    while True:
        records = [{"host": "h%d-%d.example" % (batch, i)} for i in range(6)]
        done = await asyncio.gather(*[loop.run_in_executor(WORKERS, enrich, loop, r) for r in records])  # LINE:gather
        if batch == 20:
            ready()
        batch += 1
        assert len(done) == 6


if __name__ == "__main__":
    aio_run(main())
