"""Hang: two asyncio tasks each await a future that only the other one resolves, after its own
await: the "leader" waits for the follower's acknowledgement before it sends its proposal, the
"follower" waits for the proposal before it acknowledges. No timers, no I/O."""
import asyncio

from _appkit import aio_run, create_task, ready


class Handshake:
    def __init__(self, loop):
        self.proposal = loop.create_future()
        self.ack = loop.create_future()

    async def leader(self):
        await self.ack  # LINE:leader_await
        self.proposal.set_result({"term": 7})

    async def follower(self):
        proposal = await self.proposal  # LINE:follower_await
        self.ack.set_result(proposal["term"])


async def main():
    shake = Handshake(asyncio.get_event_loop())
    tasks = [create_task(shake.leader(), "leader"), create_task(shake.follower(), "follower")]
    await asyncio.sleep(0.05)
    ready()
    await asyncio.gather(*tasks)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
