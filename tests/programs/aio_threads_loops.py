"""Two threads run their own event loop: in "loop-a" two tasks await each other (a deadlock);
in "loop-b" a task sleeps (not deadlocked). The main thread joins both threads."""
import asyncio
import os
import threading

ready_count = threading.Semaphore(0)


async def wait_for(other):
    await other  # LINE:await_other


async def deadlocked():
    me = asyncio.current_task()
    other = asyncio.ensure_future(wait_for(me))
    if hasattr(other, "set_name"):
        other.set_name("partner")
    asyncio.get_running_loop().call_later(0.1, ready_count.release)
    await wait_for(other)


async def sleepy():
    asyncio.get_running_loop().call_soon(ready_count.release)
    await asyncio.sleep(3600)  # LINE:sleep


if __name__ == "__main__":
    a = threading.Thread(target=asyncio.run, args=(deadlocked(),), name="loop-a")
    b = threading.Thread(target=asyncio.run, args=(sleepy(),), name="loop-b")
    a.start()
    b.start()
    ready_count.acquire()
    ready_count.acquire()
    print(f"READY {os.getpid()}", flush=True)
    a.join()  # LINE:join
    b.join()
