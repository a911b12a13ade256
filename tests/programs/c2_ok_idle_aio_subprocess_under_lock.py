"""Healthy: a deploy task holds an asyncio.Lock while it awaits a long subprocess (sleep); two
more deploys wait for the lock. Before 3.12 asyncio's child watcher is a thread blocked in
os.waitpid() for the child, which wakes the loop when the child exits."""
import asyncio

from _appkit import aio_run, create_task, ready


async def deploy(lock, started):
    async with lock:
        proc = await asyncio.create_subprocess_exec("sleep", "3600")
        started.set()
        await proc.wait()  # LINE:wait


async def queued_deploy(lock):
    async with lock:  # LINE:queued
        pass


async def main():
    lock = asyncio.Lock()
    started = asyncio.Event()
    first = create_task(deploy(lock, started), "deploy-1")
    await started.wait()
    others = [create_task(queued_deploy(lock), "deploy-%d" % i) for i in (2, 3)]
    await asyncio.sleep(0.1)
    ready()
    await asyncio.gather(first, *others)


if __name__ == "__main__":
    aio_run(main())
