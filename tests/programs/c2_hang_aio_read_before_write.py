"""Hang: an asyncio client of a line-oriented filter (cat stands for it) awaits the filter's
greeting before sending anything; the filter reads its input before it writes a line, and the
client's stdin pipe to it stays open and empty."""
import asyncio
import subprocess

from _appkit import aio_run, ready


async def converse():
    proc = await asyncio.create_subprocess_exec("cat", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    asyncio.get_event_loop().call_later(0.5, ready)
    greeting = await proc.stdout.readline()  # LINE:read_greeting
    proc.stdin.write(b"hello " + greeting)
    await proc.stdin.drain()
    return await proc.stdout.readline()


if __name__ == "__main__":
    aio_run(converse())
