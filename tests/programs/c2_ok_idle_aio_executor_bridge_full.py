"""A thread of the loop's executor calls back into the loop (run_coroutine_threadsafe) for a
coroutine that itself needs the executor; the executor's other worker waits for an Event that a
sleeping thread sets. When it is set, that worker frees up and everything completes."""
import _appkit
import asyncio, concurrent.futures as cf, os, threading, time

released = threading.Event()

def wait_release():
    released.wait()
    return "released"

def small(x):
    return x + 1

async def needs_executor(loop):
    return await loop.run_in_executor(None, small, 1)

def bridge(loop):
    return asyncio.run_coroutine_threadsafe(needs_executor(loop), loop).result()

def releaser():
    time.sleep(3600)
    released.set()

async def main(loop):
    loop.set_default_executor(cf.ThreadPoolExecutor(max_workers=2))
    a = loop.run_in_executor(None, wait_release)
    await asyncio.sleep(0.05)
    b = loop.run_in_executor(None, bridge, loop)
    threading.Thread(target=releaser, name="releaser", daemon=True).start()
    await asyncio.sleep(0.3)
    _appkit.ready()
    print(await asyncio.gather(a, b))

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main(loop))
