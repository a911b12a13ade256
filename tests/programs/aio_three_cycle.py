"""Three tasks await each other in a ring: stage-a awaits stage-b, stage-b awaits stage-c and
stage-c awaits stage-a. main() awaits stage-a (stuck behind the cycle)."""
import asyncio
import os


async def stage(stages, next_name):
    await asyncio.sleep(0.05)
    await stages[next_name]  # LINE:stage_wait


async def announce():
    await asyncio.sleep(0.3)
    print(f"READY {os.getpid()}", flush=True)


async def main():
    stages = {}
    asyncio.ensure_future(announce())
    for name, nxt in (("a", "b"), ("b", "c"), ("c", "a")):
        stages[name] = asyncio.ensure_future(stage(stages, nxt))
        if hasattr(stages[name], "set_name"):
            stages[name].set_name(f"stage-{name}")
    await stages["a"]  # LINE:main_wait


asyncio.run(main())
