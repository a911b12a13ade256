"""Workers wait for an asyncio.Event that the task meant to set it never sets: it crashed.

The task "loader" raises before it sets service.config_loaded (its exception is retrieved by
gather(return_exceptions=True)); worker-1 and worker-2 wait in service.config_loaded.wait(), and
main() waits for them in asyncio.gather(). No timers, no I/O: the loop can never run again.
"""
import asyncio
import json
import os


class Service:
    def __init__(self):
        self.config_loaded = asyncio.Event()
        self.config = None

    async def load_config(self):
        self.config = json.loads("{not json")  # raises: config_loaded is never set
        self.config_loaded.set()

    async def work(self):
        await self.config_loaded.wait()  # LINE:worker_wait


async def main():
    service = Service()
    await asyncio.gather(service.load_config(), return_exceptions=True)
    workers = [asyncio.ensure_future(service.work()) for _ in range(2)]
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await asyncio.gather(*workers)  # LINE:main_wait


asyncio.run(main())
