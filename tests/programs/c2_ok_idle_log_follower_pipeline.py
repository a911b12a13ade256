"""Healthy, idle (waiting for another program to write): an alerting daemon follows a log
through a shell pipeline (`tail -F app.log | grep --line-buffered ERROR`) and reads the
matches from its stdout; nothing is logged, so tail sleeps, grep waits for tail, the shell
waits for both, and the daemon waits for grep. A heartbeat thread sleeps between beats."""
import os
import subprocess
import tempfile
import threading
import time

from _appkit import ready


def heartbeat():
    while True:
        time.sleep(30)  # LINE:beat
        print("alive", flush=True)


def main():
    log = os.path.join(tempfile.mkdtemp(), "app.log")
    open(log, "w").close()
    follow = subprocess.Popen(["sh", "-c", f"tail -F {log} | grep --line-buffered ERROR"],
                              stdout=subprocess.PIPE)
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    threading.Timer(0.5, ready).start()
    for line in follow.stdout:  # LINE:read_match
        print("ALERT", line.decode().rstrip(), flush=True)


main()
