"""Healthy: a stop-and-wait sender on asyncio. An asyncio.Lock is the single send credit: the
sender takes it with acquire() before each frame and waits in acquire() again for the next one;
the ack-reader task gives it back (asyncio.Lock.release may be called by any task) when the peer,
a server task in the same loop, acknowledges after writing the frame to disk (a short sleep).
The sender is nearly always waiting in a second acquire() of a lock it took itself: that is not a
self-deadlock while the loop has a timer or I/O that can lead to the release."""
import asyncio
import struct

from _appkit import aio_run, create_task, ready


async def slow_peer(reader, writer):
    while True:
        hdr = await reader.readexactly(4)
        (n,) = struct.unpack("!I", hdr)
        await reader.readexactly(n)
        await asyncio.sleep(0.05)  # the peer writes the frame to disk
        writer.write(b"ACK!")
        await writer.drain()


class FrameSender:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.credit = asyncio.Lock()

    async def ack_reader(self):
        while True:
            await self.reader.readexactly(4)
            self.credit.release()

    async def send_batch(self, frames):
        await self.credit.acquire()  # the first frame needs a credit too
        self.writer.write(struct.pack("!I", len(frames[0])) + frames[0])
        for frame in frames[1:]:
            await self.credit.acquire()  # wait for the ack of the previous frame
            self.writer.write(struct.pack("!I", len(frame)) + frame)
            await self.writer.drain()


async def main():
    server = await asyncio.start_server(slow_peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sender = FrameSender(reader, writer)
    create_task(sender.ack_reader(), "ack_reader")
    asyncio.get_event_loop().call_later(0.3, ready)
    n = 0
    while True:
        await sender.send_batch([b"frame-%d-%d" % (n, i) for i in range(20)])
        n += 1


if __name__ == "__main__":
    aio_run(main())
