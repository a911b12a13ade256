"""Healthy, idle: a pre-fork server. The parent binds a socket, forks three workers that each
block in accept() on it, and waits for any of them to exit. Any client connecting wakes one."""
import os
import socket
import time

from _appkit import ready


def worker(sock):
    while True:
        conn, _ = sock.accept()  # LINE:accept
        conn.sendall(b"hello\n")
        conn.close()


def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    pids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            worker(sock)
            os._exit(0)
        pids.append(pid)
    time.sleep(0.3)
    ready()
    while pids:
        pid, _ = os.wait()  # LINE:wait
        pids.remove(pid)


if __name__ == "__main__":
    main()
