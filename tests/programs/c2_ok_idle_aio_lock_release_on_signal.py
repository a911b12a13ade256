"""Healthy (idle, waits for a signal): a deploy orchestrator holds an asyncio.Lock "deploy
window" taken by the finished "open-window" task; the window is closed by the operator with
SIGUSR1 (loop.add_signal_handler releases the lock). Three deploy tasks wait in `async with`.
Right verdict: NO deadlock (a SIGUSR1 handler releases the lock)."""
import asyncio
import signal

from _appkit import aio_run, create_task, ready


async def open_window(lock):
    await lock.acquire()
    return "open"


async def deploy(lock, n):
    async with lock:  # LINE:deploy_lock
        return n


async def main():
    loop = asyncio.get_event_loop()
    lock = asyncio.Lock()
    await create_task(open_window(lock), "open-window")
    loop.add_signal_handler(signal.SIGUSR1, lock.release)
    tasks = [create_task(deploy(lock, i), "deploy-%d" % i) for i in range(3)]
    while len(lock._waiters or ()) < 3:
        await asyncio.sleep(0.01)
    ready()
    print(await asyncio.gather(*tasks))


if __name__ == "__main__":
    aio_run(main())
