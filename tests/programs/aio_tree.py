"""Not deadlocked: a tree of tasks (gather, nested tasks awaiting tasks, and a TaskGroup on
3.11+) whose leaves sleep or wait for an Event a timer will set. For comparing the task tree
with `python -m asyncio pstree` on 3.14."""
import asyncio
import os


async def leaf(ev):
    await ev.wait()  # LINE:leaf_wait


async def sleeper():
    await asyncio.sleep(3600)  # LINE:sleeper


async def middle(ev):
    child = asyncio.ensure_future(leaf(ev))
    await child  # LINE:middle_wait


async def group(ev):
    if hasattr(asyncio, "TaskGroup"):
        async with asyncio.TaskGroup() as tg:  # LINE:group_wait
            tg.create_task(leaf(ev))
            tg.create_task(sleeper())
    else:
        await asyncio.gather(leaf(ev), sleeper())


async def main():
    ev = asyncio.Event()
    asyncio.get_running_loop().call_later(3600, ev.set)
    gathered = asyncio.gather(middle(ev), sleeper(), group(ev))
    await asyncio.sleep(0.2)
    print(f"READY {os.getpid()}", flush=True)
    await gathered  # LINE:main_wait


asyncio.run(main())
