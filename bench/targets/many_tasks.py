"""Benchmark target (t): one event loop with many pending asyncio tasks, all blocked.

    python many_tasks.py [TASKS]      default: 1000 tasks (the main task included)

A realistic mix of what pending tasks wait for, each two or three coroutine frames deep
(`worker` -> `handle` -> the await) with a few locals:
  * a tenth are gatherers: `asyncio.gather()` of 4 subtasks that sleep (the subtasks count);
  * the rest in equal shares: `asyncio.sleep(3600)`, `Event.wait()` on an Event nobody sets,
    `Lock.acquire()` through `async with` on a lock one of them holds while it sleeps, and
    `Queue.get()` on a queue nobody feeds;
  * the main task awaits `gather()` of the top-level workers.
Prints `READY <pid>` (flushed) once every task is parked in its final await; the loop then sleeps
in the selector until the first timer (an hour away). Runs on CPython 3.8 to 3.14.
"""
import asyncio
import os
import sys

SUBTASKS = 4  # per gatherer


async def park(parked, awaitable):
    parked["count"] += 1
    return await awaitable


async def handle_sleep(i, parked):
    deadline = 3600.0 + i
    await park(parked, asyncio.sleep(deadline))


async def handle_event(i, parked, event):
    label = "event-%d" % i
    await park(parked, event.wait())
    return label


async def handle_lock(i, parked, lock):
    parked["count"] += 1  # before: all but one wait in the acquire
    async with lock:
        held = "holder-%d" % i
        await asyncio.sleep(3600.0)
        return held


async def handle_queue(i, parked, queue):
    item = await park(parked, queue.get())
    return item


async def subtask(i, k, parked):
    await park(parked, asyncio.sleep(3600.0 + k))


async def handle_gather(i, parked):
    results = await asyncio.gather(*(subtask(i, k, parked) for k in range(SUBTASKS)))
    return results


async def worker(kind, i, parked, shared):
    request = {"id": i, "kind": kind}
    if kind == "sleep":
        return await handle_sleep(i, parked)
    if kind == "event":
        return await handle_event(i, parked, shared["event"])
    if kind == "lock":
        return await handle_lock(i, parked, shared["lock"])
    if kind == "queue":
        return await handle_queue(i, parked, shared["queue"])
    parked["count"] += 1  # the gatherer itself: its subtasks count themselves
    return await handle_gather(i, parked), request


async def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    shared = {"event": asyncio.Event(), "lock": asyncio.Lock(), "queue": asyncio.Queue()}
    parked = {"count": 0}
    budget = total - 1  # the main task
    gatherers = budget // 10 // (SUBTASKS + 1)
    budget -= gatherers * (SUBTASKS + 1)
    kinds = ["gather"] * gatherers
    plain = ("sleep", "event", "lock", "queue")
    kinds += [plain[i % len(plain)] for i in range(budget)]
    workers = [asyncio.ensure_future(worker(kind, i, parked, shared)) for i, kind in enumerate(kinds)]
    expected = len(workers) + gatherers * SUBTASKS
    while parked["count"] < expected:
        await asyncio.sleep(0.01)
    for _ in range(3):  # the last ones to count are now inside their awaits
        await asyncio.sleep(0)
    print("READY %d" % os.getpid(), flush=True)
    await asyncio.gather(*workers)


if __name__ == "__main__":
    asyncio.run(main())
