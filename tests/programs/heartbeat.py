"""A live target for the harmlessness tests.

After READY, thread "heartbeat" prints `BEAT <n> <time.monotonic()>` (n = 1, 2, 3, ...) every
100 ms; the main thread blocks on a lock forever. SIGUSR1 makes the main thread print
`SIGNAL USR1 <count>` (the handler runs between retries of the blocked acquire).
"""
import os
import signal
import threading
import time

from _blocking import HELD, ready

received = 0


def on_usr1(signum, frame):
    global received
    received += 1
    os.write(1, f"SIGNAL USR1 {received}\n".encode())  # one write: lines never interleave


def beat():
    n = 0
    while True:
        n += 1
        os.write(1, f"BEAT {n} {time.monotonic():.6f}\n".encode())
        time.sleep(0.1)  # LINE:beat


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, on_usr1)
    ready()  # before the heartbeat starts, so that no BEAT line can split the READY line
    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    HELD.acquire()  # LINE:main
