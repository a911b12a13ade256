# A download thread finishes and calls asyncio.Event.set() directly instead of through
# loop.call_soon_threadsafe(): the waiting task's wake-up is queued with call_soon() from the wrong
# thread, which does not wake the selector. The loop sleeps in epoll with no timeout and a ready
# callback it never runs; the download thread has exited. A real hang.
import asyncio
import threading
import time

import _appkit


class Downloader:
    def __init__(self):
        self.done = asyncio.Event()
        self.result = None

    def work(self):
        time.sleep(0.3)
        self.result = b"data"
        self.done.set()  # LINE:bad_set


async def main():
    d = Downloader()
    threading.Thread(target=d.work, name="downloader").start()
    ready = threading.Timer(1.0, _appkit.ready)  # a loop timer would wake the loop
    ready.daemon = True
    ready.start()
    await d.done.wait()  # LINE:wait
    return d.result


if __name__ == "__main__":
    _appkit.aio_run(main())
