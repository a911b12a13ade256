"""Healthy, idle: a supervisor starts two sleeping children, blocks SIGCHLD and SIGTERM and waits
for either with signal.sigtimedwait(); two service threads wait on an Event the supervisor sets
when it is told to stop."""
import os
import signal
import subprocess
import sys
import threading
import time

from _appkit import ready

stop = threading.Event()


def service(n):
    stop.wait()
    print("service", n, "stopped", flush=True)


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD, signal.SIGTERM])
    kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"]) for _ in range(2)]
    for n in range(2):
        threading.Thread(target=service, args=(n,), name="service-%d" % n).start()
    time.sleep(0.3)
    ready()
    while True:
        info = signal.sigtimedwait([signal.SIGCHLD, signal.SIGTERM], 3600)
        if info is not None and info.si_signo == signal.SIGTERM:
            stop.set()
            break
    for k in kids:
        k.kill()


main()
