"""Healthy, idle: the main thread holds the session lock while it waits for a reply on one end
of a socketpair whose other end was handed to a helper program (a shell that sleeps before
answering); a worker waits for the lock. The helper's answer ends the wait."""
import socket
import subprocess
import threading
import time

from _appkit import ready

session_lock = threading.Lock()


def worker():
    with session_lock:  # LINE:worker_lock
        pass


def main():
    ours, theirs = socket.socketpair()
    helper = subprocess.Popen(["sh", "-c", "sleep 3600; echo pong >&%d" % theirs.fileno()],
                              pass_fds=[theirs.fileno()])
    theirs.close()
    with session_lock:
        t = threading.Thread(target=worker, name="worker")
        t.start()
        time.sleep(0.1)
        ready()
        reply = ours.recv(64)  # LINE:recv_reply
    t.join()
    helper.wait()
    print(reply)


if __name__ == "__main__":
    main()
