"""Control: a child is blocked writing into a full pipe, but the parent that reads it is only
sleeping (it will read later): not a deadlock."""
import os
import subprocess
import threading
import time

SLEEP_SYSCALLS = {"23", "270", "35", "230"}  # select, pselect6 (time.sleep before 3.11), nanosleep, clock_nanosleep


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def ready_once_formed(child_pid, main_tid):
    """READY only once the child is blocked in its write and the main thread is in its sleep."""
    while not ("pipe_write" in read("/proc/%d/wchan" % child_pid) and
               read("/proc/self/task/%d/syscall" % main_tid).split(" ")[0] in SLEEP_SYSCALLS):
        time.sleep(0.01)
    print(f"READY {os.getpid()}", flush=True)


if __name__ == "__main__":
    child = subprocess.Popen(["head", "-c", "1000000", "/dev/zero"], stdout=subprocess.PIPE)
    threading.Thread(target=ready_once_formed, args=(child.pid, os.getpid()), daemon=True).start()
    time.sleep(3600)
    print(len(child.stdout.read()))
