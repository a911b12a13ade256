"""Hang: an asyncio job runs a noisy tool with stdout and stderr both piped, and reads stdout
to its end before it looks at stderr (the asyncio docs' warning: use communicate()). The
loop stops reading stderr once its stream buffer is full, the tool then blocks writing stderr,
and stdout never ends."""
import asyncio
import subprocess

from _appkit import aio_run, ready


async def run_tool():
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", "seq 1 400000 >&2; echo done",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    asyncio.get_event_loop().call_later(0.5, ready)
    out = await proc.stdout.read()  # LINE:read_stdout
    err = await proc.stderr.read()
    await proc.wait()
    return out, err


def main():
    out, err = aio_run(run_tool())
    print(len(out), len(err))


if __name__ == "__main__":
    main()
