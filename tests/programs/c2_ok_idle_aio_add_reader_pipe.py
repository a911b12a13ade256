"""Healthy, idle: an asyncio app reads log lines a child process writes into a pipe, with
loop.add_reader(); the reader callback puts lines into an asyncio.Queue and a consumer task awaits
queue.get(); main awaits the consumer. The child sleeps before writing."""
import asyncio
import os
import subprocess
import sys

from _appkit import aio_run, create_task, ready


async def consume(lines):
    while True:
        line = await lines.get()
        print("got", line, flush=True)


async def main():
    loop = asyncio.get_event_loop()
    r, w = os.pipe()
    child = subprocess.Popen([sys.executable, "-c",
                              "import os, sys, time; time.sleep(3600); os.write(int(sys.argv[1]), b'hello\\n')",
                              str(w)], pass_fds=(w,))
    os.close(w)
    lines = asyncio.Queue()

    def on_readable():
        data = os.read(r, 4096)
        if not data:
            loop.remove_reader(r)
            return
        lines.put_nowait(data)

    loop.add_reader(r, on_readable)
    consumer = create_task(consume(lines), "consumer")
    await asyncio.sleep(0.1)
    ready()
    await consumer
    child.wait()


aio_run(main())
