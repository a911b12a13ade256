"""Healthy, idle: an asyncio service follows a helper's output line by line (stdout piped,
stderr discarded); the helper prints a status line every hour and sleeps in between."""
import asyncio
import subprocess

from _appkit import aio_run, ready


async def follow():
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", "while :; do echo status ok; sleep 3600; done",
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = 0
    while True:
        line = await proc.stdout.readline()  # LINE:follow_readline
        if not line:
            break
        lines += 1
        if lines == 1:
            ready()
    return await proc.wait()


if __name__ == "__main__":
    aio_run(follow())
