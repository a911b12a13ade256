"""Healthy, idle: a lease released by an asyncio loop timer. A loop thread schedules
loop.call_later(3600, busy.release) for the lease main took with acquire(); main then needs
`db`, which the reporter holds while it waits for the lease. The loop will run the release."""
import asyncio
import threading
import time

from _appkit import ready

busy = threading.Lock()
db = threading.Lock()


def run_loop(loop):
    asyncio.set_event_loop(loop)
    loop.call_later(3600, busy.release)  # LINE:call_later
    loop.run_forever()


def reporter():
    with db:  # LINE:reporter_db
        time.sleep(0.1)
        with busy:  # LINE:reporter_busy
            pass


def main():
    busy.acquire()
    loop = asyncio.new_event_loop()
    threading.Thread(target=run_loop, args=(loop,), name="loop", daemon=True).start()
    threading.Thread(target=reporter, name="reporter", daemon=True).start()
    time.sleep(0.2)
    ready()
    with db:  # LINE:main_db
        pass


if __name__ == "__main__":
    main()
