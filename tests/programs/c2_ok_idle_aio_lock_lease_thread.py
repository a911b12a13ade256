"""Healthy (idle): a rate limiter hands out an asyncio.Lock as a lease: the "grant" task
acquires it, schedules the lease's expiry (lock.release in an hour) and finishes.
Three request tasks wait in `async with lock`; main awaits them. The lease expires through a
threading.Timer that calls call_soon_threadsafe (argument `loop`: call_later instead).
Right verdict: NO deadlock (the Timer thread, or the loop's timer, will release the lock)."""
import asyncio
import sys
import threading

from _appkit import aio_run, create_task, ready


async def grant(lock):
    await lock.acquire()
    loop = asyncio.get_event_loop()
    if "loop" not in sys.argv:
        t = threading.Timer(3600, lambda: loop.call_soon_threadsafe(lock.release))
        t.daemon = True
        t.start()
    else:
        loop.call_later(3600, lock.release)
    return "granted"


async def request(lock, n):
    async with lock:  # LINE:request_lock
        return n


async def main():
    lock = asyncio.Lock()
    await create_task(grant(lock), "grant")
    tasks = [create_task(request(lock, i), "request-%d" % i) for i in range(3)]
    while len(lock._waiters or ()) < 3:
        await asyncio.sleep(0.01)
    ready()
    print(await asyncio.gather(*tasks))


if __name__ == "__main__":
    aio_run(main())
