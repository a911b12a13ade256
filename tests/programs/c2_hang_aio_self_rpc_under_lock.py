"""Hang: an asyncio cache service holds its cache lock while it asks its own admin endpoint
(served by a task of the same loop over a socketpair) to refresh an entry. The admin handler
takes the same lock before it answers, so the reply is never written: the caller awaits
readline() forever, the loop sits idle in its selector."""
import asyncio
import socket

from _appkit import aio_run, create_task, ready


class Cache:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.entries = {}

    async def serve_admin(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                return
            async with self.lock:  # LINE:admin_lock
                self.entries[line.strip()] = "fresh"
                writer.write(b"ok\n")

    async def refresh(self, key, reader, writer):
        async with self.lock:  # LINE:refresh_with
            writer.write(key + b"\n")
            reply = await reader.readline()  # LINE:refresh_read
            return reply


async def main():
    cache = Cache()
    admin_sock, client_sock = socket.socketpair()
    admin_reader, admin_writer = await asyncio.open_connection(sock=admin_sock)
    create_task(cache.serve_admin(admin_reader, admin_writer), "admin")
    reader, writer = await asyncio.open_connection(sock=client_sock)
    asyncio.get_event_loop().call_later(0.2, ready)
    await cache.refresh(b"user:42", reader, writer)


if __name__ == "__main__":
    aio_run(main())
