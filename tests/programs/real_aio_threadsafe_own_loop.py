"""Hang in one thread: a coroutine calls a synchronous helper that waits on its own event loop.

get_config_sync() was written for worker threads: it schedules fetch_config() on the loop with
asyncio.run_coroutine_threadsafe() and blocks in result(). Called from a coroutine, it blocks
the loop's own thread, so the loop never runs fetch_config().
"""
import asyncio
import threading

from _appkit import aio_run, ready


async def fetch_config():
    await asyncio.sleep(0.01)
    return {"retries": 3}


def get_config_sync(loop):
    future = asyncio.run_coroutine_threadsafe(fetch_config(), loop)
    return future.result()  # LINE:sync_result


async def handler():
    loop = asyncio.get_event_loop()
    threading.Timer(0.5, ready).start()
    config = get_config_sync(loop)  # LINE:handler_call
    print(config)


if __name__ == "__main__":
    aio_run(handler())
