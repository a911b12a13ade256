"""A task holds an asyncio.Lock while it waits for its TaskGroup, whose tasks need that lock.

main() takes `ledger_lock`, opens a TaskGroup with two writers and, at the end of the `async
with` block, waits for them; each writer waits for ledger_lock. Python 3.11+ (TaskGroup).
"""
import asyncio
import os


async def announce():
    await asyncio.sleep(0.3)
    print(f"READY {os.getpid()}", flush=True)


async def write_entry(ledger_lock, entry):
    async with ledger_lock:  # LINE:writer_wait
        await asyncio.sleep(0)


async def main():
    ledger_lock = asyncio.Lock()
    asyncio.create_task(announce(), name="announce")
    async with ledger_lock:  # LINE:main_hold
        async with asyncio.TaskGroup() as tg:  # LINE:main_wait
            tg.create_task(write_entry(ledger_lock, "a"), name="writer-1")
            tg.create_task(write_entry(ledger_lock, "b"), name="writer-2")


asyncio.run(main())
