# asyncio.Lock taken by a task that finished; a plain thread (a blocking uploader, sleeping)
# releases it through loop.call_soon_threadsafe(lock.release) when the upload ends. The main
# task waits for the lock. Healthy.
import asyncio, threading, time
import _appkit
async def main():
    loop = asyncio.get_event_loop()
    lock = asyncio.Lock()
    def uploader():
        time.sleep(3600)
        loop.call_soon_threadsafe(lock.release)
    async def request():
        await lock.acquire()
        threading.Thread(target=uploader, name="uploader", daemon=True).start()
    await asyncio.ensure_future(request())
    loop.call_later(0.3, _appkit.ready)
    async with lock:
        pass
_appkit.aio_run(main())
