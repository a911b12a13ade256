"""Deadlock: the parent feeds a child's stdin and waits for it without closing stdin; the child
(cat, or this interpreter reading sys.stdin: argument "python") reads until end of file, which
never comes while the parent holds the write end. Argument "aio" does the same with asyncio
(await proc.wait() with proc.stdin still open)."""
import asyncio
import os
import subprocess
import sys
import threading

from _appkit import aio_run


def ready():
    os.write(1, f"READY {os.getpid()}\n".encode())


async def aio_main():
    proc = await asyncio.create_subprocess_exec("cat", stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.DEVNULL)
    proc.stdin.write(b"hello\n")
    await proc.stdin.drain()
    asyncio.get_event_loop().call_later(0.3, ready)
    await proc.wait()  # LINE:aio_wait


if __name__ == "__main__":
    if sys.argv[1:] == ["aio"]:
        aio_run(aio_main())
        sys.exit(0)
    if sys.argv[1:] == ["python"]:
        argv = [sys.executable, "-c", "import sys\nprint(len(sys.stdin.read()))\n"]
    else:
        argv = ["cat"]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    child.stdin.write(b"hello\n")
    child.stdin.flush()
    threading.Timer(0.3, ready).start()
    child.wait()  # LINE:popen_wait
