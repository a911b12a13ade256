"""A task holding an asyncio.Lock awaits a coroutine that takes the same lock: a self-deadlock,
written for every supported Python (3.6 has no asyncio.run and no task names): the loop is
made and run by hand, and the task has no name.
"""
import asyncio
import os


async def take_again(lock):
    async with lock:  # LINE:take_again
        pass


async def hold(lock):
    async with lock:  # LINE:hold
        await take_again(lock)  # LINE:hold_await


def announce():
    print("READY %d" % os.getpid(), flush=True)


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    lock = asyncio.Lock()  # before 3.10 it binds to the current loop, set above
    task = loop.create_task(hold(lock))
    loop.call_later(0.5, announce)
    loop.run_until_complete(task)  # LINE:run


main()
