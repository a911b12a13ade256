"""Hang: an asyncio service guards shared state with a threading.Lock (it is also used by a
helper thread). The flusher task holds the lock across an `await`; the request task then takes
the same lock with a blocking `with`, which blocks the event loop's thread: the flusher can
never resume to release it."""
import asyncio
import threading

from _appkit import aio_run, create_task, ready

state_lock = threading.Lock()
pending = []


async def flusher():
    with state_lock:
        await asyncio.sleep(0.1)  # LINE:flusher_await
        pending.clear()


async def handle_request(n):
    await asyncio.sleep(0.05)
    with state_lock:  # LINE:request_lock
        pending.append(n)


async def main():
    create_task(flusher(), "flusher")
    request = create_task(handle_request(1), "request-1")
    threading.Timer(0.3, ready).start()
    await request  # LINE:main_await


if __name__ == "__main__":
    aio_run(main())
