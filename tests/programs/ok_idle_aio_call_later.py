"""Healthy, idle: an asyncio lease keeper whose renewal is a loop.call_later an hour away; the
main task waits for the `renewed` future that the callback resolves."""
import asyncio

from _appkit import aio_run, ready


async def main():
    loop = asyncio.get_event_loop()
    renewed = loop.create_future()
    loop.call_later(3600, renewed.set_result, "lease renewed")
    ready()
    print(await renewed)  # LINE:await_renewed


if __name__ == "__main__":
    aio_run(main())
