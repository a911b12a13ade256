"""A coroutine awaits a blocking function run in another thread (asyncio.to_thread, or
run_in_executor before 3.9), and that function waits for a threading.Event nobody sets."""
import asyncio
import os
import threading

gate = threading.Event()


def blocking_load():
    print(f"READY {os.getpid()}", flush=True)
    gate.wait()  # LINE:worker_wait


async def main():
    if hasattr(asyncio, "to_thread"):
        await asyncio.to_thread(blocking_load)  # LINE:main_wait
    else:
        await asyncio.get_running_loop().run_in_executor(None, blocking_load)  # LINE:main_wait_38


asyncio.run(main())
