"""Deadlock (the warning on asyncio's Process.wait()): a task awaits proc.wait() on a child started
with stdout=PIPE that writes more than the pipe and the StreamReader's buffer hold; no task reads
proc.stdout, so the event loop stops reading the pipe and the child never exits. Argument "head"
(the child is head(1)); "sleep" is the control: the child only sleeps, and nothing is stuck."""
import asyncio
import os
import sys

from _appkit import aio_run


async def main(kind):
    argv = ["sleep", "600"] if kind == "sleep" else ["head", "-c", "2000000", "/dev/zero"]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
    print(f"READY {os.getpid()}", flush=True)
    await proc.wait()  # LINE:proc_wait
    print(len(await proc.stdout.read()))


if __name__ == "__main__":
    aio_run(main(sys.argv[1]))
