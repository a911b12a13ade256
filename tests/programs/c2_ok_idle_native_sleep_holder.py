"""Healthy, idle: a thread holds the device lock while a C call (libc sleep through ctypes, as a
driver binding would block) waits; two threads wait for the lock; main joins them."""
import ctypes
import threading
import time

from _appkit import ready

libc = ctypes.CDLL(None)
device_lock = threading.Lock()


def calibrate():
    with device_lock:
        libc.sleep(3600)


def measure(n):
    with device_lock:
        print("measure", n, flush=True)


def main():
    threading.Thread(target=calibrate, name="calibrate").start()
    time.sleep(0.1)
    ts = [threading.Thread(target=measure, args=(n,), name="measure-%d" % n) for n in range(2)]
    for t in ts:
        t.start()
    time.sleep(0.3)
    ready()
    for t in ts:
        t.join()


main()
