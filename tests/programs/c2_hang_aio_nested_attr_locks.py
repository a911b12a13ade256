"""Hang: two asyncio handlers of a gateway take the locks of its two backends (reached as
self.backends.primary.lock and self.backends.replica.lock) in opposite orders."""
import asyncio

from _appkit import aio_run, create_task, ready


class Backend:
    def __init__(self, name):
        self.name = name
        self.lock = asyncio.Lock()


class Backends:
    def __init__(self):
        self.primary = Backend("primary")
        self.replica = Backend("replica")


class Gateway:
    def __init__(self):
        self.backends = Backends()

    async def promote(self):
        async with self.backends.primary.lock:  # LINE:promote_with
            await asyncio.sleep(0.05)
            async with self.backends.replica.lock:  # LINE:promote_inner
                pass

    async def resync(self):
        async with self.backends.replica.lock:  # LINE:resync_with
            await asyncio.sleep(0.05)
            async with self.backends.primary.lock:  # LINE:resync_inner
                pass


async def main():
    gw = Gateway()
    a = create_task(gw.promote(), "promote")
    b = create_task(gw.resync(), "resync")
    await asyncio.sleep(0.3)
    ready()
    await asyncio.gather(a, b)


aio_run(main())
