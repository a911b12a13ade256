"""Healthy: request handlers await a shared token refresh through asyncio.shield (so a cancelled
handler does not cancel the refresh); the refresh waits an hour for the identity server."""
import asyncio

from _appkit import ready, aio_run, create_task

state = {}


async def refresh_token():
    await asyncio.sleep(3600)  # LINE:refresh_sleep
    return "token"


async def handler(n):
    token = await asyncio.shield(state["refresh"])  # LINE:handler_shield
    return n, token


async def main():
    state["refresh"] = create_task(refresh_token(), "refresh")
    handlers = [create_task(handler(n), "handler-%d" % n) for n in range(3)]
    asyncio.get_event_loop().call_later(0.5, ready)
    await asyncio.gather(*handlers)


aio_run(main())
