"""Eager tasks (Python 3.12+, eager_task_factory) that await each other: "eager-1" starts
running at once and awaits "eager-2", which awaits "eager-1"."""
import asyncio
import os

box = {}


async def wait_for(name):
    while name not in box:
        await asyncio.sleep(0.01)
    await box[name]  # LINE:await_other


async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    box["1"] = asyncio.create_task(wait_for("2"), name="eager-1")
    box["2"] = asyncio.create_task(wait_for("1"), name="eager-2")
    await asyncio.sleep(0.2)
    print(f"READY {os.getpid()}", flush=True)
    await box["1"]  # LINE:main_wait


asyncio.run(main())
