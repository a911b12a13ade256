"""Hang between two event loops: each blocks its thread on a result only the other loop computes.

A service runs its order loop and its billing loop in two threads. A coroutine of each asks the
other loop for a value with asyncio.run_coroutine_threadsafe(...).result(), which blocks the
calling loop's thread: neither loop ever runs the coroutine the other one waits for.
"""
import asyncio
import threading
import time

from _appkit import ready

loops = {}


def serve(name, started):
    loop = asyncio.new_event_loop()
    loops[name] = loop
    asyncio.set_event_loop(loop)
    started.set()
    loop.run_forever()


async def lookup(key):
    return key.upper()


async def ask(other, key):
    time.sleep(0.2)  # both requests are in flight before either loop answers
    future = asyncio.run_coroutine_threadsafe(lookup(key), loops[other])
    return future.result()  # LINE:ask_result


def main():
    started = {name: threading.Event() for name in ("orders", "billing")}
    for name, event in started.items():
        threading.Thread(target=serve, args=(name, event), name=name + "-loop", daemon=True).start()
        event.wait()
    asyncio.run_coroutine_threadsafe(ask("billing", "invoice"), loops["orders"])
    asyncio.run_coroutine_threadsafe(ask("orders", "order"), loops["billing"])
    threading.Timer(0.8, ready).start()
    threading.Event().wait()  # LINE:main_wait


if __name__ == "__main__":
    main()
