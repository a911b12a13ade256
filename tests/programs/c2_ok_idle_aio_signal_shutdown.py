"""Healthy, idle: an asyncio worker service with a graceful shutdown. The loop registers
SIGTERM and SIGINT with loop.add_signal_handler(); the handler sets `stopping`. main() waits for
`stopping` (no timeout) and two consumer tasks wait on an empty asyncio.Queue. No timers, no
I/O: only a signal (through the loop's wake-up fd) can wake the loop, and it will."""
import asyncio
import signal

from _appkit import aio_run, create_task, ready


class Service:
    def __init__(self):
        self.stopping = asyncio.Event()
        self.inbox = asyncio.Queue()
        self.handled = 0

    def request_stop(self, signame):
        print("received", signame, flush=True)
        self.stopping.set()

    async def consume(self):
        while True:
            message = await self.inbox.get()  # LINE:consume_get
            self.handled += 1
            self.inbox.task_done()

    async def run(self):
        loop = asyncio.get_event_loop()
        for signame in ("SIGTERM", "SIGINT"):
            loop.add_signal_handler(getattr(signal, signame), self.request_stop, signame)
        consumers = [create_task(self.consume(), "consumer-%d" % i) for i in range(2)]
        await asyncio.sleep(0.05)
        ready()
        await self.stopping.wait()  # LINE:main_wait
        for task in consumers:
            task.cancel()


async def main():
    await Service().run()  # created on the running loop (3.6-3.9 bind asyncio objects to a loop)


if __name__ == "__main__":
    aio_run(main())
