"""Healthy, idle: a worker thread asks the event loop for a lookup with
asyncio.run_coroutine_threadsafe(...).result(); the coroutine sleeps ten minutes first. The main
task waits (through the default executor) for the worker. The future the worker waits for is the
loop's to complete, not the executor's: nothing is deadlocked."""
import asyncio
import threading

from _appkit import aio_run, ready


async def slow_lookup():
    await asyncio.sleep(600)  # LINE:lookup_sleep
    return 42


def bridge(loop):
    fut = asyncio.run_coroutine_threadsafe(slow_lookup(), loop)
    print(fut.result())  # LINE:bridge_result


async def main():
    loop = asyncio.get_event_loop()
    t = threading.Thread(target=bridge, args=(loop,), name="bridge")
    t.start()
    loop.call_later(0.2, ready)
    await loop.run_in_executor(None, t.join)  # LINE:main_join


if __name__ == "__main__":
    aio_run(main())
