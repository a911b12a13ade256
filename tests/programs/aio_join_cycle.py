"""A task that holds an asyncio.Lock awaits a task that needs the same lock (join cycle).

main() takes cache_lock with `async with`, starts the task "flusher" and awaits it while still
holding the lock; flusher waits in `async with cache_lock:` for the lock main holds.
"""
import asyncio
import os


async def announce():
    await asyncio.sleep(0.3)
    print(f"READY {os.getpid()}", flush=True)


async def flush_cache(cache_lock):
    async with cache_lock:  # LINE:child_wait
        pass


async def main():
    cache_lock = asyncio.Lock()
    asyncio.ensure_future(announce())
    async with cache_lock:  # LINE:parent_hold
        flusher = asyncio.ensure_future(flush_cache(cache_lock))
        if hasattr(flusher, "set_name"):
            flusher.set_name("flusher")
        await flusher  # LINE:parent_wait


asyncio.run(main())
