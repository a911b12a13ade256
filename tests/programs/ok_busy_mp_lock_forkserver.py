"""Healthy, busy: a device shared through a multiprocessing.Lock. The device process holds the
lock for most of each operation (a slow write); two parent threads wait their turn in `with
lock:`; the main thread joins the device process. The device is started through the forkserver
(the default start method from 3.14), so its parent in the process tree is the forkserver, not
this program: it is alive, and holds the lock, though it is not this process's child."""
import multiprocessing as mp
import threading
import time

from _appkit import ready


def device(lock):
    while True:
        with lock:  # LINE:device_with
            time.sleep(0.5)
        time.sleep(0.01)


def user(lock):
    while True:
        with lock:  # LINE:user_with
            time.sleep(0.01)
        time.sleep(0.2)


def main():
    ctx = mp.get_context("forkserver")
    lock = ctx.Lock()
    p = ctx.Process(target=device, args=(lock,), name="device")
    p.start()
    time.sleep(0.3)
    for i in range(2):
        threading.Thread(target=user, args=(lock,), name="user-%d" % i, daemon=True).start()
    time.sleep(0.3)
    ready()
    p.join()  # LINE:main_join


if __name__ == "__main__":
    main()
