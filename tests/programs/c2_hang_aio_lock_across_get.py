"""Hang: an asyncio session manager. The refresher task takes the session lock and, holding it,
awaits the next token from a queue; the token fetcher must take the same lock before it puts
the token. Each waits for the other."""
import asyncio

from _appkit import aio_run, create_task, ready


class Sessions:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.tokens = asyncio.Queue()

    async def refresh(self):
        async with self.lock:  # LINE:refresh_with
            token = await self.tokens.get()  # LINE:refresh_get
            return token

    async def fetch_token(self):
        await asyncio.sleep(0.05)
        async with self.lock:  # LINE:fetch_lock
            await self.tokens.put("token-1")


async def main():
    sessions = Sessions()
    refresher = create_task(sessions.refresh(), "refresher")
    fetcher = create_task(sessions.fetch_token(), "token-fetcher")
    await asyncio.sleep(0.2)
    ready()
    await asyncio.gather(refresher, fetcher)  # LINE:gather


if __name__ == "__main__":
    aio_run(main())
