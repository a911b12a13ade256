"""The main thread calls pthread_exit() while another thread runs on: the kernel shows the
thread-group leader as a zombie (Z) and empties its /proc maps, but the process lives. The
surviving thread blocks in survive().
"""
import ctypes
import threading

from _blocking import HELD, arrived, ready, wait_for

STARTED = threading.Semaphore(0)


def survive():
    arrived(STARTED)
    HELD.acquire()  # LINE:survive


if __name__ == "__main__":
    threading.Thread(target=survive, name="survivor").start()
    wait_for(STARTED, 1)
    ready()
    ctypes.CDLL(None).pthread_exit(None)  # LINE:exit
