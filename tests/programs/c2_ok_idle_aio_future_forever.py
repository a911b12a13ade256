"""Healthy (runs until Ctrl-C): the 'run forever' idiom of asyncio servers; the main coroutine
awaits a bare asyncio.Future() that nothing can complete, while a dispatcher task waits for
messages on a queue."""
import asyncio

from _appkit import aio_run, create_task, ready


async def dispatcher(inbox):
    while True:
        message = await inbox.get()  # LINE:get
        print("dispatch", message)


async def main():
    inbox = asyncio.Queue()
    create_task(dispatcher(inbox), "dispatcher")
    ready()
    await asyncio.Future()  # LINE:forever


if __name__ == "__main__":
    try:
        aio_run(main())
    except KeyboardInterrupt:
        pass
