"""Healthy, idle: a reaper thread waits in os.wait() for any of three sleeping children; main
joins the reaper."""
import os
import subprocess
import sys
import threading
import time

from _appkit import ready


def reaper(n):
    while n:
        pid, status = os.wait()
        n -= 1


def main():
    for _ in range(3):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    t = threading.Thread(target=reaper, args=(3,), name="reaper")
    t.start()
    time.sleep(0.3)
    ready()
    t.join()


main()
