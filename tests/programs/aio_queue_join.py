"""Queue.join() never returns: the consumer forgets task_done() for one item.

The consumer task takes three items and calls task_done() for two of them, then waits in
q.get() for more; main() waits in q.join(). Nothing else can run: the loop is dead.
"""
import asyncio
import os


async def consume(jobs):
    while True:
        item = await jobs.get()  # LINE:consumer_wait
        if item != "poison":
            jobs.task_done()


async def main():
    jobs = asyncio.Queue()
    consumer = asyncio.ensure_future(consume(jobs))
    for item in ("a", "poison", "b"):
        jobs.put_nowait(item)
    await asyncio.sleep(0.1)
    print(f"READY {os.getpid()}", flush=True)
    await jobs.join()  # LINE:main_wait
    consumer.cancel()


asyncio.run(main())
