"""Hang: a task holding an asyncio.Lock awaits a blocking helper run in the executor; the helper
calls back into the loop with run_coroutine_threadsafe(...).result() for a coroutine that needs
the same asyncio.Lock."""
import asyncio

from _appkit import aio_run, ready

state = {"loop": None, "lock": None}


async def refresh_token():
    async with state["lock"]:  # LINE:refresh_with
        return "token"


def blocking_upload():
    fut = asyncio.run_coroutine_threadsafe(refresh_token(), state["loop"])
    return fut.result()  # LINE:upload_result


async def main():
    state["loop"] = asyncio.get_event_loop()
    state["lock"] = asyncio.Lock()
    state["loop"].call_later(0.3, ready)
    async with state["lock"]:  # LINE:main_with
        await state["loop"].run_in_executor(None, blocking_upload)  # LINE:main_await


aio_run(main())
