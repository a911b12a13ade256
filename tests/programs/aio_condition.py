"""Two consumers wait on an asyncio.Condition that is never notified: the producer failed before
notify(). cond.wait() releases the condition's lock while it waits, so neither consumer holds it.
main() awaits both consumers."""
import asyncio
import os


async def consume(cond, box):
    async with cond:  # LINE:consumer_hold
        while not box:
            await cond.wait()  # LINE:consumer_wait


async def produce(cond, box):
    raise RuntimeError("producer failed before notify()")


async def main():
    cond = asyncio.Condition()
    box = []
    consumers = [asyncio.ensure_future(consume(cond, box)) for _ in range(2)]
    await asyncio.gather(produce(cond, box), return_exceptions=True)
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await asyncio.gather(*consumers)  # LINE:main_wait


asyncio.run(main())
