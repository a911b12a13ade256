"""Healthy: 2000 subscriber tasks wait for the 'market open' event; the loop sets it from a
call_later timer in an hour."""
import asyncio

from _appkit import ready, aio_run


async def subscriber(opened, n):
    await opened.wait()  # LINE:sub_wait
    return n


async def main():
    opened = asyncio.Event()
    loop = asyncio.get_event_loop()
    loop.call_later(3600, opened.set)
    tasks = [loop.create_task(subscriber(opened, n)) for n in range(2000)]
    loop.call_later(0.5, ready)
    await asyncio.gather(*tasks)  # LINE:main_gather


aio_run(main())
