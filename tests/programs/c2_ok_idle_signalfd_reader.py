"""Healthy, idle: SIGUSR1 and SIGHUP are blocked and read from a signalfd by a thread, which
sets an Event the main thread waits for. Any `kill -USR1` ends the wait."""
import ctypes
import os
import signal
import struct
import threading

from _appkit import ready

libc = ctypes.CDLL(None, use_errno=True)
reload_requested = threading.Event()


def signal_reader(fd):
    while True:
        info = os.read(fd, 128)  # LINE:signalfd_read
        signo = struct.unpack_from("I", info)[0]
        if signo in (signal.SIGUSR1, signal.SIGHUP):
            reload_requested.set()


def main():
    signals = [signal.SIGUSR1, signal.SIGHUP]
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    mask = ctypes.c_uint64(sum(1 << (s - 1) for s in signals))
    fd = libc.signalfd(-1, ctypes.byref(mask), 0)
    threading.Thread(target=signal_reader, args=(fd,), name="signals", daemon=True).start()
    ready()
    while True:
        reload_requested.wait()  # LINE:main_wait
        reload_requested.clear()


if __name__ == "__main__":
    main()
