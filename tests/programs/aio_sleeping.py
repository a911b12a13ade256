"""Not deadlocked: a task sleeps for an hour and main() awaits it."""
import asyncio
import os


async def nap():
    await asyncio.sleep(3600)  # LINE:sleep


async def main():
    t = asyncio.ensure_future(nap())
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await t  # LINE:main_wait


asyncio.run(main())
