"""Hang: Popen(preexec_fn=...) while another thread holds a lock the preexec_fn takes: the forked
child has the lock locked and no thread to release it; the parent waits in Popen() for the
child to exec."""
import subprocess
import threading
import time

from _appkit import ready

config_lock = threading.Lock()
settings = {"nice": 5}


def refresher():
    while True:
        with config_lock:
            time.sleep(0.2)  # holds the lock most of the time
        time.sleep(0.001)


def lower_priority():
    with config_lock:  # LINE:child_lock
        import os
        os.nice(settings["nice"])


threading.Thread(target=refresher, name="refresher", daemon=True).start()
time.sleep(0.05)
threading.Timer(0.5, ready).start()
while True:
    subprocess.run(["true"], preexec_fn=lower_priority)  # LINE:popen
