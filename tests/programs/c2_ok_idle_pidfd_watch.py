"""Healthy, idle: a supervisor watches a daemonized process (not its child: it was
double-forked away) through a pidfd in select(); the main thread joins the watcher. The
daemon's exit ends the wait."""
import ctypes
import os
import select
import threading
import time

from _appkit import ready

libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open = 434


def spawn_daemon():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.close(w)
            time.sleep(3600)
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(w)
    return int(os.read(r, 32))


def watch(fd, pid):
    select.select([fd], [], [])  # LINE:pidfd_select
    print("daemon", pid, "exited")


def main():
    pid = spawn_daemon()
    fd = libc.syscall(SYS_pidfd_open, pid, 0)
    t = threading.Thread(target=watch, args=(fd, pid), name="watcher")
    t.start()
    ready()
    t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
