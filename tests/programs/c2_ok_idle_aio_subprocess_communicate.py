"""Healthy, idle: an asyncio task runs a child (a slow build step) and awaits communicate(); a
second task awaits an asyncio.Event the first sets when the build is done; main gathers both."""
import asyncio
import sys

from _appkit import aio_run, create_task, ready


async def build(done):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(3600); print('built')",
        stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    done.set()


async def deploy(done):
    await done.wait()
    print("deploying", flush=True)


async def main():
    done = asyncio.Event()
    tasks = [create_task(build(done), "build"), create_task(deploy(done), "deploy")]
    await asyncio.sleep(0.3)
    ready()
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    if sys.version_info < (3, 8) and sys.platform != "win32":
        asyncio.get_event_loop_policy().get_child_watcher()
    aio_run(main())
