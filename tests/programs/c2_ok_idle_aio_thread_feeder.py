"""Healthy, idle: an asyncio gateway fed by a blocking client library. A thread ("feed") reads
market data from a TCP connection (to a local server thread that has nothing to send yet) and
hands each message to the loop with call_soon_threadsafe; the loop's only task awaits the next
message (a Future, no timeout). The loop has no timers and no I/O of its own, but the feed
thread, waiting for the socket, will wake it."""
import asyncio
import socket
import threading

from _appkit import aio_run, ready


def quiet_server(server):
    conn, _ = server.accept()
    conn.recv(1)  # LINE:server_recv (the exchange sends nothing before the market opens)


class Feed:
    def __init__(self, loop, port):
        self.loop = loop
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.waiter = None

    def run(self):
        while True:
            data = self.sock.recv(4096)  # LINE:feed_recv
            if not data:
                return
            self.loop.call_soon_threadsafe(self.deliver, data)

    def deliver(self, data):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(data)

    async def next_message(self):
        self.waiter = self.loop.create_future()
        return await self.waiter  # LINE:next_await


async def main():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    threading.Thread(target=quiet_server, args=(server,), name="exchange", daemon=True).start()
    feed = Feed(asyncio.get_event_loop(), server.getsockname()[1])
    threading.Thread(target=feed.run, name="feed", daemon=True).start()
    await asyncio.sleep(0.05)
    ready()
    while True:
        message = await feed.next_message()
        print(message, flush=True)


if __name__ == "__main__":
    aio_run(main())
