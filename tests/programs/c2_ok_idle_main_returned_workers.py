"""Healthy, idle: the main script has returned; the interpreter waits in threading's shutdown for
two non-daemon pollers that wake every 10 minutes to check a flag file."""
import os
import threading
import time

from _appkit import ready


def poller(n):
    while not os.path.exists("/nonexistent/stop-%d" % n):
        time.sleep(600)


for n in range(2):
    threading.Thread(target=poller, args=(n,), name="poller-%d" % n).start()
threading.Timer(0.3, ready).start()
