"""Healthy, idle: asyncio version of a lock taken only in "exclusive" mode. The report task runs
in shared mode, so it does NOT take the table lock (the acquire() is behind an `if`), and waits
for the stats lock. The vacuum task holds the table lock across a long sleep. The main task
holds the stats lock and waits for the table lock. The vacuum task's timer will fire and it
will release: not a deadlock."""
import asyncio

from _appkit import aio_run, create_task, ready


class Table:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.stats_lock = asyncio.Lock()
        self.rows = list(range(100))

    async def report(self, exclusive):
        if exclusive:
            await self.lock.acquire()  # LINE:report_acquire (not taken in shared mode)
        try:
            async with self.stats_lock:  # LINE:report_stats
                return sum(self.rows)
        finally:
            if exclusive:
                self.lock.release()

    async def vacuum(self):
        async with self.lock:  # LINE:vacuum_with
            await asyncio.sleep(3600)  # LINE:vacuum_sleep


async def main():
    table = Table()
    vacuum = create_task(table.vacuum(), "vacuum")
    await asyncio.sleep(0.01)
    async with table.stats_lock:  # LINE:main_stats
        report = create_task(table.report(False), "report")
        await asyncio.sleep(0.05)
        ready()
        async with table.lock:  # LINE:main_with
            table.rows.append(100)
    await asyncio.gather(vacuum, report)


if __name__ == "__main__":
    aio_run(main())
