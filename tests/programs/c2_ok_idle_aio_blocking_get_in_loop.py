"""Healthy, idle (badly written): a coroutine calls a blocking queue.Queue.get() on the event
loop's thread; the thread that will put the item sleeps first. The loop's other tasks wait."""
import asyncio
import queue
import threading
import time

from _appkit import aio_run, create_task, ready

handoff = queue.Queue()


def supplier():
    time.sleep(3600)
    handoff.put("config")


async def ticker():
    while True:
        await asyncio.sleep(1)


async def main():
    threading.Thread(target=supplier, name="supplier", daemon=True).start()
    create_task(ticker(), "ticker")
    await asyncio.sleep(0.1)
    ready()
    config = handoff.get()
    print(config)


aio_run(main())
