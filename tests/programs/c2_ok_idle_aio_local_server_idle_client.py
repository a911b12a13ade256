"""Healthy, idle: an asyncio chat server and an in-process monitoring client connected to it
over loopback TCP. The client waits for the next broadcast, the server's handler for the
client's next line; the server also listens for new connections, which anyone may open."""
import asyncio

from _appkit import aio_run, create_task, ready


async def handle(reader, writer):
    while True:
        line = await reader.readline()  # LINE:server_read
        if not line:
            return
        writer.write(line)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    asyncio.get_event_loop().call_later(0.2, ready)
    while True:
        message = await reader.readline()  # LINE:client_read
        if not message:
            return


if __name__ == "__main__":
    aio_run(main())
