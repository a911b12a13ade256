"""Healthy, idle: an asyncio consumer reads jobs from a socketpair whose other end belongs to a
blocking producer thread, which sleeps until the nightly batch (a long sleep) before writing.
The loop has no timers and waits only on the socketpair, but the producer thread will write."""
import asyncio
import socket
import threading
import time

from _appkit import aio_run, ready


def producer(sock):
    time.sleep(3600)  # LINE:producer_sleep
    sock.sendall(b"job-1\n")


async def main():
    ours, theirs = socket.socketpair()
    threading.Thread(target=producer, args=(theirs,), name="producer", daemon=True).start()
    reader, writer = await asyncio.open_connection(sock=ours)
    asyncio.get_event_loop().call_later(0.2, ready)
    while True:
        job = await reader.readline()  # LINE:consumer_read
        if not job:
            return


if __name__ == "__main__":
    aio_run(main())
