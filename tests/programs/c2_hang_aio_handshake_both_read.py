"""Hang: two asyncio peers of a replication protocol, connected by a socketpair on the same
loop, each wait for the other's HELLO before sending their own (both were written as the
"server" side). Both tasks await readline() forever; the loop has no timers."""
import asyncio
import socket

from _appkit import aio_run, create_task, ready


async def peer(name, sock):
    reader, writer = await asyncio.open_connection(sock=sock)
    hello = await reader.readline()  # LINE:peer_read
    writer.write(("HELLO " + name + "\n").encode())
    await writer.drain()
    return hello


async def main():
    a, b = socket.socketpair()
    first = create_task(peer("node-a", a), "node-a")
    second = create_task(peer("node-b", b), "node-b")
    asyncio.get_event_loop().call_later(0.2, ready)
    await asyncio.gather(first, second)  # LINE:gather


if __name__ == "__main__":
    aio_run(main())
