"""Healthy, idle: an asyncio echo server on 127.0.0.1 waiting for connections
(serve_forever / waiting on the server), no client yet."""
import asyncio

from _appkit import aio_run, ready


async def echo(reader, writer):
    data = await reader.readline()
    writer.write(data)
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    ready()
    if hasattr(server, "serve_forever"):
        await server.serve_forever()  # LINE:serve
    else:  # 3.6
        await asyncio.Event().wait()


if __name__ == "__main__":
    aio_run(main())
