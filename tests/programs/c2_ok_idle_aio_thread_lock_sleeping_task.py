"""Healthy, idle (a timer will end it): an asyncio maintenance task holds a threading.Lock across
`await asyncio.sleep(...)` (poor style: a long maintenance window); a reporting thread waits
for that lock, and the main thread joins the event loop's thread."""
import asyncio
import threading

from _appkit import aio_run, create_task, ready

stats_lock = threading.Lock()


async def maintenance():
    with stats_lock:
        await asyncio.sleep(600)  # LINE:maintenance_sleep


async def loop_main():
    await create_task(maintenance(), "maintenance")


def reporter():
    with stats_lock:  # LINE:reporter_lock
        pass


def main():
    loop_thread = threading.Thread(target=aio_run, args=(loop_main(),), name="event-loop")
    loop_thread.start()
    threading.Event().wait(0.2)
    threading.Thread(target=reporter, name="reporter").start()
    threading.Timer(0.3, ready).start()
    loop_thread.join()  # LINE:main_join


if __name__ == "__main__":
    main()
