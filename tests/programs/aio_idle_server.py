"""Not deadlocked: an idle TCP server waits for connections, and a connected client waits for a
reply the server's handler is still waiting to read (both wait for I/O)."""
import asyncio
import os


async def handle(reader, writer):
    await reader.readline()  # LINE:handler_read


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"no newline yet")
    await writer.drain()
    asyncio.get_running_loop().call_later(0.2, lambda: print(f"READY {os.getpid()}", flush=True))
    async with server:
        await asyncio.gather(server.serve_forever(), reader.readline())  # LINE:main_wait


asyncio.run(main())
