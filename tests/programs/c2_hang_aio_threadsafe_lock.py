"""Hang: an event loop blocked on a threading.Lock held by a thread that waits for the loop.
The "exporter" thread takes the stats lock and, under it, asks the loop for a value with
asyncio.run_coroutine_threadsafe(...).result(); a coroutine on the loop thread takes the same
threading.Lock (a blocking call inside a coroutine), so the loop never runs the exporter's
coroutine."""
import asyncio
import threading
import time

from _appkit import aio_run, ready

stats_lock = threading.Lock()
stats = {"requests": 0}
exporter_holds = threading.Event()  # the test's own ordering: the exporter has the lock first


async def current_connections():
    return 3


def exporter(loop):
    with stats_lock:  # LINE:exporter_with
        exporter_holds.set()
        time.sleep(0.3)
        future = asyncio.run_coroutine_threadsafe(current_connections(), loop)
        ready()  # the loop's thread is blocked on stats_lock by now
        stats["connections"] = future.result()  # LINE:exporter_result


async def count_request():
    with stats_lock:  # LINE:loop_with
        stats["requests"] += 1


async def main():
    loop = asyncio.get_event_loop()
    threading.Thread(target=exporter, args=(loop,), name="exporter", daemon=True).start()
    while not exporter_holds.is_set():
        await asyncio.sleep(0.01)
    await count_request()


if __name__ == "__main__":
    aio_run(main())
