"""Healthy, idle: a nightly job runner blocked in subprocess.run() on a long external command
(`sleep 3600` stands for the backup tool), while a status thread polls a queue with a timeout.
Read without --children the child is invisible: not a deadlock."""
import queue
import subprocess
import threading

from _appkit import ready

status = queue.Queue()


def status_reporter():
    while True:
        try:
            message = status.get(timeout=30)  # LINE:status_get
        except queue.Empty:
            continue
        print(message, flush=True)


def main():
    threading.Thread(target=status_reporter, name="status", daemon=True).start()
    ready()
    result = subprocess.run(["sleep", "3600"], check=False)  # LINE:run
    status.put("backup finished: %d" % result.returncode)


if __name__ == "__main__":
    main()
