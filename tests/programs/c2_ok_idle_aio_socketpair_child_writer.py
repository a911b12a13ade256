"""Healthy, idle: an asyncio supervisor reads status lines from a socketpair shared with a
worker process it forked; the worker sleeps before it reports. The parent keeps its copy of the
worker's end (a common slip, harmless here): the worker holds it too and will write."""
import asyncio
import os
import socket
import time

from _appkit import aio_run, ready


async def supervise(sock):
    reader, writer = await asyncio.open_connection(sock=sock)
    asyncio.get_event_loop().call_later(0.2, ready)
    while True:
        status = await reader.readline()  # LINE:status_read
        if not status:
            return


def main():
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        time.sleep(3600)  # LINE:worker_sleep
        theirs.sendall(b"worker up\n")
        os._exit(0)
    aio_run(supervise(ours))


if __name__ == "__main__":
    main()
