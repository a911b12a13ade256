"""Hang: two tasks, each waits with asyncio.wait_for(..., timeout=None) and asyncio.wait() for
the other."""
import asyncio

from _appkit import ready, aio_run, create_task

state = {}


async def producer():
    await asyncio.sleep(0.05)
    await asyncio.wait_for(state["consumer"], None)  # LINE:producer_wait_for
    return 1


async def consumer():
    await asyncio.sleep(0.01)
    done, _ = await asyncio.wait([state["producer"]])  # LINE:consumer_wait
    return 2


async def main():
    state["producer"] = create_task(producer(), "producer")
    state["consumer"] = create_task(consumer(), "consumer")
    asyncio.get_event_loop().call_later(0.5, ready)
    await asyncio.gather(state["producer"], state["consumer"])  # LINE:main_gather


aio_run(main())
