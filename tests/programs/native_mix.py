"""--native: one hung program with the native stacks the tests look for.

* Thread "locker" blocks in lock.acquire() on a lock the main thread holds: its native stack
  shows the wait (sem_clockwait / futex / PyMutex parking) under the Python frame.
* Thread "sorter" calls libc's qsort() through ctypes with a Python comparison function, which
  blocks inside the callback: Python -> native (ffi, qsort) -> Python -> native.
* A pure C thread, started through ctypes with pthread_create() on libc's sleep() (named
  "c-sleeper"), and faulthandler's watchdog thread (a C thread of the standard library): no
  Python thread state at all.
The main thread then waits in join().
"""
import ctypes
import faulthandler
import threading

from _hangkit import ready

HELD = threading.Lock()
HELD.acquire()
libc = ctypes.CDLL("libc.so.6")
entered = threading.Semaphore(0)


def locker():
    entered.release()
    HELD.acquire()  # LINE:locker


CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))


def compare(a, b):
    entered.release()
    HELD.acquire()  # LINE:compare
    return a[0] - b[0]


def sorter():
    values = (ctypes.c_int * 4)(3, 1, 2, 0)
    callback = CMP(compare)
    libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), callback)  # LINE:qsort


def start_c_thread():
    libc.pthread_create.argtypes = [ctypes.POINTER(ctypes.c_ulong), ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_void_p]
    libc.pthread_setname_np.argtypes = [ctypes.c_ulong, ctypes.c_char_p]
    handle = ctypes.c_ulong()
    sleep = ctypes.cast(libc.sleep, ctypes.c_void_p)
    # sleep(unsigned seconds) as a thread's start routine: the argument is the number of seconds.
    rc = libc.pthread_create(ctypes.byref(handle), None, sleep, ctypes.c_void_p(1000000))
    assert rc == 0, rc
    libc.pthread_setname_np(handle, b"c-sleeper")


def main():
    faulthandler.dump_traceback_later(1000000)
    start_c_thread()
    workers = [threading.Thread(target=locker, name="locker"), threading.Thread(target=sorter, name="sorter")]
    for w in workers:
        w.start()
    for _ in workers:
        entered.acquire()
    ready()
    workers[0].join()  # LINE:join


if __name__ == "__main__":
    main()
