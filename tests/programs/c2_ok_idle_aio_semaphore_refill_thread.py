"""Healthy (idle): an API client limits itself with an asyncio.Semaphore(2) used as a quota:
each call acquires a slot and does not release it; a "quota-refill" thread sleeps (time.sleep,
one hour, the provider's quota window) and then releases the slots with
loop.call_soon_threadsafe. Two calls went through; three more wait in sem.acquire().
Right verdict: NO deadlock (the refill thread is sleeping and will release)."""
import asyncio
import threading
import time

from _appkit import aio_run, create_task, ready


async def call_api(sem, n):
    await sem.acquire()  # LINE:acquire
    return "call %d" % n


def refill(loop, sem):
    time.sleep(3600)  # LINE:refill_sleep
    for _ in range(5):
        loop.call_soon_threadsafe(sem.release)


async def main():
    loop = asyncio.get_event_loop()
    sem = asyncio.Semaphore(2)
    threading.Thread(target=refill, args=(loop, sem), name="quota-refill", daemon=True).start()
    tasks = [create_task(call_api(sem, i), "call-%d" % i) for i in range(5)]
    while len(sem._waiters or ()) < 3:
        await asyncio.sleep(0.01)
    ready()
    print(await asyncio.gather(*tasks))


if __name__ == "__main__":
    aio_run(main())
