"""Healthy, idle (for now): main holds the results lock and joins a reader thread that reads a
child's stdout line by line; the child sleeps before printing. The reader will need the lock only
after a line arrives."""
import subprocess
import sys
import threading
import time

from _appkit import ready

results_lock = threading.Lock()
results = []


def reader(proc):
    for line in proc.stdout:
        results.append(line)
    print("child done", flush=True)


def main():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600); print('x')"],
                            stdout=subprocess.PIPE)
    t = threading.Thread(target=reader, args=(proc,), name="reader")
    t.start()
    time.sleep(0.3)
    ready()
    with results_lock:
        t.join()


main()
