"""Three tasks take three asyncio locks in a ring: mover-1 holds lock_a and waits for lock_b,
mover-2 holds lock_b and waits for lock_c, mover-3 holds lock_c and waits for lock_a."""
import asyncio
import os


async def move(first, second, started, everyone):
    async with first:  # LINE:mover_hold
        started.release()
        await everyone.wait()
        async with second:  # LINE:mover_wait
            pass


async def main():
    lock_a, lock_b, lock_c = asyncio.Lock(), asyncio.Lock(), asyncio.Lock()
    started, everyone = asyncio.Semaphore(0), asyncio.Event()
    movers = []
    for n, (first, second) in enumerate(((lock_a, lock_b), (lock_b, lock_c), (lock_c, lock_a)), 1):
        t = asyncio.ensure_future(move(first, second, started, everyone))
        if hasattr(t, "set_name"):
            t.set_name(f"mover-{n}")
        movers.append(t)
    for _ in movers:
        await started.acquire()
    everyone.set()
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await asyncio.wait(movers)  # LINE:main_wait


asyncio.run(main())
