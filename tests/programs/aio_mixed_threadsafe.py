"""A coroutine blocks the event loop's thread on a threading.Lock whose holder waits for that
loop: the thread "reporter" holds state_lock and waits in run_coroutine_threadsafe(...).result()
for a coroutine the loop would run, while the loop's thread is stuck in `with state_lock:`
inside the task's coroutine, so the loop never runs again."""
import asyncio
import os
import threading
import time

state_lock = threading.Lock()
lock_taken = threading.Event()


async def report():
    return "ok"


def reporter(loop):
    with state_lock:  # LINE:worker_hold
        lock_taken.set()
        time.sleep(0.2)  # the loop's thread is now blocked in `with state_lock:`
        fut = asyncio.run_coroutine_threadsafe(report(), loop)
        print(f"READY {os.getpid()}", flush=True)
        fut.result()  # LINE:worker_wait


async def update_state():
    with state_lock:  # LINE:loop_blocks
        pass


async def main():
    loop = asyncio.get_running_loop()
    threading.Thread(target=reporter, args=(loop,), name="reporter").start()
    lock_taken.wait()
    await update_state()  # LINE:main_wait


asyncio.run(main())
