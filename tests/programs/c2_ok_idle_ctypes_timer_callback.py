"""Healthy (waiting for a C library's callback): a sampler asks a C library to call it back
periodically from the library's own thread (here glibc's POSIX timer with SIGEV_THREAD, through
ctypes); the callback queues a sample, and the main thread waits for samples with queue.get().
Between two calls the library's thread is a C thread Python does not know: no Python thread will
put into the queue, and yet the next sample comes.
Right verdict: no deadlock (a C thread calling the ctypes callback can still wake it)."""
import ctypes
import queue
import time

from _appkit import ready


samples = queue.Queue()
SAMPLE_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # void (*)(union sigval)


@SAMPLE_CALLBACK
def on_sample(_value):
    samples.put(time.time())  # LINE:callback_put


class SigEvent(ctypes.Structure):
    _fields_ = [("sigev_value", ctypes.c_void_p), ("sigev_signo", ctypes.c_int), ("sigev_notify", ctypes.c_int),
                ("sigev_notify_function", SAMPLE_CALLBACK), ("sigev_notify_attributes", ctypes.c_void_p),
                ("_pad", ctypes.c_byte * 32)]


class TimeSpec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class ITimerSpec(ctypes.Structure):
    _fields_ = [("it_interval", TimeSpec), ("it_value", TimeSpec)]


def start_sampling(period):
    libc = ctypes.CDLL(None, use_errno=True)  # timer_create is in libc since glibc 2.34
    event = SigEvent()
    event.sigev_notify = 2  # SIGEV_THREAD: call the function from a thread of the C library
    event.sigev_notify_function = on_sample
    timer = ctypes.c_void_p()
    if libc.timer_create(1, ctypes.byref(event), ctypes.byref(timer)) != 0:  # CLOCK_MONOTONIC
        raise OSError(ctypes.get_errno(), "timer_create")
    spec = ITimerSpec(TimeSpec(period, 0), TimeSpec(period, 0))
    if libc.timer_settime(timer, 0, ctypes.byref(spec), None) != 0:
        raise OSError(ctypes.get_errno(), "timer_settime")
    return timer


def main():
    start_sampling(5)
    ready()
    while True:
        sample = samples.get()  # LINE:main_get
        print("sample at", sample)


if __name__ == "__main__":
    main()
