"""Healthy, idle: a tiny supervisor forks and execs a non-Python service (`sleep 3600`) and
waits for it with os.waitpid(pid, 0); a second thread waits for the restart requests on a
queue (no timeout) that the supervisor fills when the service exits."""
import os
import queue
import threading

from _appkit import ready

restarts = queue.Queue()


def restart_logger():
    while True:
        pid, status = restarts.get()  # LINE:restart_get
        print("service %d exited with %d" % (pid, status), flush=True)


def spawn():
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp("sleep", ["sleep", "3600"])
        finally:
            os._exit(127)
    return pid


def main():
    threading.Thread(target=restart_logger, name="restart-log", daemon=True).start()
    pid = spawn()
    ready()
    while True:
        _, status = os.waitpid(pid, 0)  # LINE:waitpid
        restarts.put((pid, status))
        pid = spawn()


if __name__ == "__main__":
    main()
