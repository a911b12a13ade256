"""Hang: the session task waits (through asyncio.shield) for the refresher task, which waits for
the session task to finish."""
import asyncio

from _appkit import ready, aio_run, create_task

state = {}


async def refresher():
    await asyncio.sleep(0.05)
    await state["session"]  # LINE:refresher_await
    return "token"


async def session():
    await asyncio.sleep(0.01)
    token = await asyncio.shield(state["refresher"])  # LINE:session_shield
    return token


async def main():
    state["session"] = create_task(session(), "session")
    state["refresher"] = create_task(refresher(), "refresher")
    asyncio.get_event_loop().call_later(0.5, ready)
    await asyncio.wait([state["session"], state["refresher"]])  # LINE:main_wait


aio_run(main())
