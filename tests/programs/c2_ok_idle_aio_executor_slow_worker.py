"""Healthy, idle: like a render service whose renders wait for async template reads queued in
the same 3-thread executor, but one of the three workers is only slow (a long blocking export
that sleeps): when it finishes, it runs the queued reads and everything completes. Not a
deadlock: a worker of the pool is sleeping, not blocked for good."""
import asyncio
import concurrent.futures
import sys
import time

from _appkit import aio_run, ready

POOL = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="render")


def read_template(name):
    return "<h1>{title}</h1><p>%s</p>" % name


def slow_export():
    time.sleep(3600)  # LINE:export_sleep
    return "exported"


def render_report(loop, name):
    async def load():
        return await loop.run_in_executor(POOL, read_template, name)  # LINE:load_await

    template = asyncio.run_coroutine_threadsafe(load(), loop).result()  # LINE:render_result
    return template.format(title=name)


async def main():
    loop = asyncio.get_event_loop()
    export = loop.run_in_executor(POOL, slow_export)
    jobs = [loop.run_in_executor(POOL, render_report, loop, "q%d.html" % q) for q in (1, 2)]
    while POOL._work_queue.qsize() < 2:
        await asyncio.sleep(0.01)
    loop.call_soon(ready)
    pages = await asyncio.gather(export, *jobs)  # LINE:main_gather
    sys.stdout.write("%d pages\n" % len(pages))


if __name__ == "__main__":
    aio_run(main())
