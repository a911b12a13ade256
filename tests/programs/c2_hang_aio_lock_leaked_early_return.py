"""Hang: a schema migrator takes the database's asyncio.Lock with a bare acquire() and returns
early, without release(), when the schema is already current. The migration is awaited inline
by the startup coroutine, so no task that finished holds the lock: the main task itself took it
earlier, and now waits for the writers that need it."""
import asyncio

from _appkit import aio_run, create_task, ready


class Database:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.version = 7
        self.rows = []

    async def migrate(self, target):
        await self.lock.acquire()  # LINE:migrate_acquire
        if self.version >= target:
            return False  # early return: the lock stays taken
        self.version = target
        self.lock.release()
        return True

    async def write(self, row):
        async with self.lock:  # LINE:write_lock
            self.rows.append(row)


async def main():
    db = Database()
    await db.migrate(7)
    writers = [create_task(db.write(n), "writer-%d" % n) for n in range(3)]
    await asyncio.sleep(0.05)
    ready()
    await asyncio.gather(*writers)  # LINE:gather


aio_run(main())
