"""25 threads: 10 named with name=, 10 of a Thread subclass that renames itself in run(), a
daemon thread, a threading.Timer that has not fired, a thread whose target is a C function
(only threading's own frames), and a thread started with _thread.start_new_thread running a C
function (no Python frame at all, unknown to threading). The main thread blocks too.
"""
import _thread
import threading
import time

from _blocking import HELD, arrived, ready, wait_for

STARTED = threading.Semaphore(0)


def park(index):
    arrived(STARTED)
    HELD.acquire()  # LINE:park


class Renamed(threading.Thread):
    def __init__(self, index):
        super().__init__(name=f"initial-{index}")
        self.index = index

    def run(self):
        self.name = f"sub-{self.index:02d}"
        park(self.index)  # LINE:subclass_run


def main():
    threads = [threading.Thread(target=park, args=(i,), name=f"pool-{i:02d}") for i in range(10)]
    threads += [Renamed(i) for i in range(10)]
    threads.append(threading.Thread(target=park, args=(99,), name="daemon-1", daemon=True))
    for t in threads:
        t.start()
    wait_for(STARTED, len(threads))
    timer = threading.Timer(3600, print, args=("never",))
    timer.name = "timer"
    timer.start()
    c_target = threading.Thread(target=time.sleep, args=(3600,), name="c-target")
    c_target.start()
    _thread.start_new_thread(time.sleep, (3600,))
    ready()
    HELD.acquire()  # LINE:main


if __name__ == "__main__":
    main()
