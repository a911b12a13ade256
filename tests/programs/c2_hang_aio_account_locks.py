"""Hang: asyncio.Lock order inversion in a payments service. transfer() locks the source
account, awaits the fraud check, then locks the destination; two transfers run in opposite
directions between the same two accounts."""
import asyncio

from _appkit import aio_run, create_task, ready


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = asyncio.Lock()


async def fraud_check(amount):
    await asyncio.sleep(0.01)
    return amount < 10000


async def transfer(source, destination, amount):
    async with source.lock:  # LINE:source_lock
        if not await fraud_check(amount):
            return False
        async with destination.lock:  # LINE:destination_lock
            source.balance -= amount
            destination.balance += amount
    return True


async def main():
    alice = Account("alice", 500)
    bob = Account("bob", 300)
    tasks = [create_task(transfer(alice, bob, 50), "pay-bob"), create_task(transfer(bob, alice, 20), "pay-alice")]
    await asyncio.sleep(0.1)
    ready()
    await asyncio.gather(*tasks)  # LINE:main_gather


if __name__ == "__main__":
    aio_run(main())
