"""Hang: an asyncio service waits, inside a coroutine, on a threading.Event (a blocking call on
the event loop's thread) that another task of the same loop sets once the configuration is
loaded. The loop never gets to run that task."""
import asyncio
import threading

from _appkit import aio_run, create_task, ready

config_loaded = threading.Event()
config = {}


async def load_config():
    await asyncio.sleep(0)
    config["db"] = "postgres://db/app"
    config_loaded.set()  # LINE:set


async def handle_request(n):
    config_loaded.wait()  # LINE:sync_wait
    return config["db"]


async def main():
    create_task(load_config(), "load-config")
    ready()
    await handle_request(1)


if __name__ == "__main__":
    aio_run(main())
