"""Healthy: an asyncio Unix-socket server answers each request after an hour (call_later); a
client thread of the same process waits for the answer."""
import asyncio
import os
import socket
import tempfile
import threading

from _appkit import ready, aio_run

path = os.path.join(tempfile.mkdtemp(), "ctl.sock")


async def handle(reader, writer):
    await reader.readline()
    loop = asyncio.get_event_loop()
    loop.call_later(3600, writer.write, b"done\n")


def client(started):
    started.wait()
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"status\n")
    threading.Timer(0.5, ready).start()
    s.recv(100)  # LINE:client_recv


async def main():
    started = threading.Event()
    server = await asyncio.start_unix_server(handle, path)
    threading.Thread(target=client, args=(started,), name="client", daemon=True).start()
    started.set()
    await asyncio.sleep(10 ** 6)


aio_run(main())
