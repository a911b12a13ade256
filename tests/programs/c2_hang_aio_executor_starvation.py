"""Hang: an asyncio report service renders reports in a 3-thread executor (run_in_executor).
Rendering is blocking code, but it needs templates from an async cache, so each render calls
run_coroutine_threadsafe(cache.get(name), loop).result(). On a miss the cache reads the template
file with run_in_executor on the same executor: the reads queue behind the 3 renders, which wait
for them. Every worker waits for work queued behind itself (thread-pool starvation through the
event loop)."""
import asyncio
import concurrent.futures
import os
import sys

from _appkit import aio_run, ready

RENDER_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="render")


def read_template(name):
    return "<h1>{title}</h1><p>%s</p>" % name


class TemplateCache:
    def __init__(self, loop):
        self.loop = loop
        self.templates = {}

    async def get(self, name):
        if name not in self.templates:
            text = await self.loop.run_in_executor(RENDER_POOL, read_template, name)  # LINE:cache_await
            self.templates[name] = text
        return self.templates[name]


def render_report(cache, report):
    pending = asyncio.run_coroutine_threadsafe(cache.get(report["template"]), cache.loop)
    template = pending.result()  # LINE:render_result
    return template.format(title=report["title"])


async def main():
    loop = asyncio.get_event_loop()
    cache = TemplateCache(loop)
    reports = [{"title": "Q%d" % q, "template": "quarter-%d.html" % q} for q in range(1, 4)]
    jobs = [loop.run_in_executor(RENDER_POOL, render_report, cache, r) for r in reports]
    # The three template reads are queued once each render waits for its template.
    while RENDER_POOL._work_queue.qsize() < len(reports):
        await asyncio.sleep(0.01)
    loop.call_soon(ready)  # once main waits below: no timer left in the loop
    pages = await asyncio.gather(*jobs)  # LINE:main_gather
    sys.stdout.write("%d pages\n" % len(pages))
    os._exit(0)


if __name__ == "__main__":
    aio_run(main())
