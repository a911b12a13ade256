"""Hang: a coroutine awaits an executor job that waits for a threading.Event the coroutine sets
only after the await. The fetch job (a blocking client) waits until the session is
"authenticated"; the coroutine marks the session authenticated after the fetch returns."""
import asyncio
import threading

from _appkit import aio_run, create_task, ready


class Session:
    def __init__(self):
        self.authenticated = threading.Event()

    def blocking_fetch(self, url):
        self.authenticated.wait()  # LINE:fetch_wait
        return "body of " + url

    async def fetch(self, url):
        loop = asyncio.get_event_loop()
        body = await loop.run_in_executor(None, self.blocking_fetch, url)  # LINE:fetch_await
        self.authenticated.set()  # LINE:set BUG: too late
        return body


async def main():
    session = Session()
    task = create_task(session.fetch("http://127.0.0.1/profile"), "fetch-profile")
    await asyncio.sleep(0.05)
    ready()
    await task  # LINE:main_await


if __name__ == "__main__":
    aio_run(main())
