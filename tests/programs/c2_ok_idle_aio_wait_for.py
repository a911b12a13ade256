"""Healthy, idle: an asyncio notification service. A local server accepts subscribers (none
connect); the dispatcher waits for notifications with asyncio.wait_for(queue.get(), 30) and a
housekeeping task sleeps for a minute at a time."""
import asyncio

from _appkit import aio_run, create_task, ready


class Notifier:
    def __init__(self):
        self.queue = asyncio.Queue()
        self.subscribers = []
        self.sent = 0

    async def subscribe(self, reader, writer):
        self.subscribers.append(writer)
        await reader.read()

    async def dispatch(self):
        while True:
            try:
                note = await asyncio.wait_for(self.queue.get(), 30)  # LINE:dispatch_wait
            except asyncio.TimeoutError:
                continue
            for writer in self.subscribers:
                writer.write(note.encode() + b"\n")
            self.sent += 1

    async def housekeeping(self):
        while True:
            await asyncio.sleep(60)  # LINE:housekeeping_sleep
            self.subscribers = [w for w in self.subscribers if not w.is_closing()]


async def main():
    notifier = Notifier()
    server = await asyncio.start_server(notifier.subscribe, "127.0.0.1", 0)
    tasks = [create_task(notifier.dispatch(), "dispatcher"), create_task(notifier.housekeeping(), "housekeeping")]
    await asyncio.sleep(0.05)
    ready()
    await asyncio.gather(*tasks)  # LINE:main_gather
    server.close()


if __name__ == "__main__":
    aio_run(main())
