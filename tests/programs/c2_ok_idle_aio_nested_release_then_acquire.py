# asyncio, timers present: the request coroutine (nested in main) takes the lock; a nested
# `finish` callback (defined before it) releases it; the release is scheduled from a thread
# that first waits for an upload Event set by a sleeping thread. Main awaits the lock.
import asyncio, threading, time
import _appkit
async def main():
    loop = asyncio.get_event_loop()
    lock = asyncio.Lock()
    uploaded = threading.Event()
    def finish():
        uploaded.wait()
        loop.call_soon_threadsafe(lock.release)
    async def request():
        await lock.acquire()
        threading.Thread(target=finish, name="finisher", daemon=True).start()
    def upload():
        time.sleep(3600)
        uploaded.set()
    threading.Thread(target=upload, name="uploader", daemon=True).start()
    await asyncio.ensure_future(request())
    loop.call_later(0.3, _appkit.ready)
    async with lock:
        pass
_appkit.aio_run(main())
