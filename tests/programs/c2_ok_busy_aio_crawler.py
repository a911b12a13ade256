"""Healthy, busy: an asyncio crawler against a local asyncio "web server". Eight crawler tasks
share a frontier queue; at most three connections are open at a time (asyncio.Semaphore); every
read is bounded by asyncio.wait_for. Runs at full speed forever."""
import asyncio

from _appkit import aio_run, create_task, ready

PAGES = {"/": ["/a", "/b"], "/a": ["/a/1", "/b"], "/b": ["/", "/a/1"], "/a/1": ["/"]}


async def serve(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            writer.close()
            return
        links = PAGES.get(line.decode().strip(), [])
        writer.write((" ".join(links) + "\n").encode())
        await writer.drain()


async def crawl(port, frontier, limit, seen):
    while True:
        path = await frontier.get()  # LINE:frontier_get
        async with limit:  # LINE:limit
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write((path + "\n").encode())
            line = await asyncio.wait_for(reader.readline(), 5)  # LINE:wait_for
            writer.close()
        for link in line.decode().split():
            seen[link] = seen.get(link, 0) + 1
            if frontier.qsize() < 20:
                frontier.put_nowait(link)
        frontier.task_done()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    frontier = asyncio.Queue()
    limit = asyncio.Semaphore(3)
    seen = {}
    for path in PAGES:
        frontier.put_nowait(path)
    crawlers = [create_task(crawl(port, frontier, limit, seen), "crawler-%d" % i) for i in range(8)]
    while sum(seen.values()) < 50:
        await asyncio.sleep(0.01)
    ready()
    await asyncio.gather(*crawlers)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
