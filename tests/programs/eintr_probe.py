"""What a stop does to system calls in progress. Three threads block forever, each printing a
line whenever its call returns:
  - epoll_wait() called from C (through ctypes, no retry): the kernel ends it with EINTR after
    any stop and continue (signal(7)), and the thread prints `RAW epoll_wait -1 <errno name>`;
  - select() with no descriptors and a timeout, from C: restarted by the kernel, never returns;
  - select.epoll().poll() from Python: Python retries on EINTR (PEP 475), never returns.
"""
import ctypes
import errno
import select
import threading

from _blocking import HELD, arrived, ready, wait_for

libc = ctypes.CDLL(None, use_errno=True)
STARTED = threading.Semaphore(0)


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


def raw_epoll_wait():
    ep = libc.epoll_create1(0)
    events = (ctypes.c_char * 64)()
    arrived(STARTED)
    while True:
        r = libc.epoll_wait(ep, events, 1, -1)
        print(f"RAW epoll_wait {r} {errno.errorcode.get(ctypes.get_errno(), '?')}", flush=True)


def raw_select():
    arrived(STARTED)
    while True:
        tv = Timeval(100000, 0)
        r = libc.select(0, None, None, None, ctypes.byref(tv))
        print(f"RAW select {r} {errno.errorcode.get(ctypes.get_errno(), '?')}", flush=True)


def python_epoll():
    ep = select.epoll()
    arrived(STARTED)
    while True:
        ep.poll()
        print("PYTHON epoll returned", flush=True)


if __name__ == "__main__":
    for f in (raw_epoll_wait, raw_select, python_epoll):
        threading.Thread(target=f, name=f.__name__, daemon=True).start()
    wait_for(STARTED, 3)
    ready()
    HELD.acquire()  # LINE:main
