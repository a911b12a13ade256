"""Healthy (a control for subprocess_wait_stdin_open.py aio): a task awaits proc.wait() on cat
while another task writes a line into cat's stdin every 30 seconds. The loop has a timer: the
wait for the child is not forever."""
import asyncio
import os

from _appkit import aio_run


def ready():
    os.write(1, f"READY {os.getpid()}\n".encode())


async def main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.DEVNULL)

    async def feed():
        while True:
            proc.stdin.write(b"tick\n")
            await proc.stdin.drain()
            await asyncio.sleep(30)  # LINE:feed_sleep

    asyncio.ensure_future(feed())
    asyncio.get_event_loop().call_later(0.3, ready)
    await proc.wait()  # LINE:aio_wait


if __name__ == "__main__":
    aio_run(main())
