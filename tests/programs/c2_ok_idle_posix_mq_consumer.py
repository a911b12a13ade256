"""Healthy, idle: a consumer receives jobs from a POSIX message queue (mq_receive through ctypes)
while holding the dispatcher's lock; the main thread waits for that lock. Any process may open
the queue by name and send the next message."""
import ctypes
import os
import threading
import time

from _appkit import ready

rt = ctypes.CDLL("librt.so.1", use_errno=True)
rt.mq_open.restype = ctypes.c_int
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
rt.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
dispatch_lock = threading.Lock()


class MqAttr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long),
                ("curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]


def consumer(mq):
    buf = ctypes.create_string_buffer(1024)
    while True:
        with dispatch_lock:
            n = rt.mq_receive(mq, buf, 1024, None)  # LINE:mq_receive
            if n < 0:
                raise OSError(ctypes.get_errno(), "mq_receive")


def main():
    name = ("/pyhang-jobs-%d" % os.getpid()).encode()
    attr = MqAttr(0, 10, 1024, 0)
    mq = rt.mq_open(name, os.O_RDONLY | os.O_CREAT, 0o600, ctypes.byref(attr))
    if mq < 0:
        raise OSError(ctypes.get_errno(), "mq_open")
    rt.mq_unlink(name)
    threading.Thread(target=consumer, args=(mq,), name="consumer", daemon=True).start()
    time.sleep(0.1)
    ready()
    with dispatch_lock:  # LINE:main_lock
        pass


if __name__ == "__main__":
    main()
