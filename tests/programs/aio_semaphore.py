"""A pool of one connection (asyncio.Semaphore(1)): the task holding it waits for an Event nobody
sets, and two more tasks wait for the semaphore."""
import asyncio
import os


async def use_connection(pool, done):
    async with pool:  # LINE:pool_enter
        await done.wait()  # LINE:holder_wait


async def main():
    pool, done = asyncio.Semaphore(1), asyncio.Event()
    users = [asyncio.ensure_future(use_connection(pool, done)) for _ in range(3)]
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await asyncio.gather(*users)  # LINE:main_wait


asyncio.run(main())
