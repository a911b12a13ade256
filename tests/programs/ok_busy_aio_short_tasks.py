"""Healthy, busy: a web-ish request dispatcher on asyncio that spawns a short task per request
and gathers them, round after round: hundreds of tasks are created and finished per second."""
import asyncio

from _appkit import aio_run, ready


async def handle(request_id):
    await asyncio.sleep(0)
    body = "response %d" % request_id
    await asyncio.sleep(0)
    return len(body)


async def main():
    rounds = 0
    while True:
        rounds += 1
        sizes = await asyncio.gather(*[handle(rounds * 100 + i) for i in range(50)])  # LINE:gather
        assert len(sizes) == 50
        if rounds == 5:
            ready()


if __name__ == "__main__":
    aio_run(main())
