"""Hang: a coroutine hands `ack.result` (a concurrent.futures.Future) to the default executor and
awaits it; only that coroutine sets the result, after the await."""
import asyncio
import concurrent.futures

from _appkit import aio_run, ready


async def main():
    loop = asyncio.get_event_loop()
    ack = concurrent.futures.Future()
    loop.call_later(0.3, ready)
    await loop.run_in_executor(None, ack.result)  # LINE:await
    ack.set_result(True)


aio_run(main())
