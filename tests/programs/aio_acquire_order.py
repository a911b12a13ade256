"""Two tasks take two asyncio locks in opposite order with explicit acquire()/release() (no
`async with`): reader holds index_lock and waits for data_lock, writer holds data_lock and waits
for index_lock. The holds are inferred from the source (`x.acquire()` not yet released)."""
import asyncio
import os


async def locked_pair(first, second, started):
    await first.acquire()  # LINE:hold
    try:
        started.release()
        await asyncio.sleep(0.05)
        await second.acquire()  # LINE:wait
        second.release()
    finally:
        first.release()


async def main():
    index_lock, data_lock = asyncio.Lock(), asyncio.Lock()
    started = asyncio.Semaphore(0)
    reader = asyncio.ensure_future(locked_pair(index_lock, data_lock, started))
    writer = asyncio.ensure_future(locked_pair(data_lock, index_lock, started))
    for t, name in ((reader, "reader"), (writer, "writer")):
        if hasattr(t, "set_name"):
            t.set_name(name)
    await asyncio.sleep(0.2)
    print(f"READY {os.getpid()}", flush=True)
    await asyncio.gather(reader, writer)  # LINE:main_wait


asyncio.run(main())
