"""Healthy, idle: a supervisor forks two workers that serve a local socket (idle: nobody
connects) and reaps them with os.wait() to restart any that dies."""
import os
import socket
import threading

from _appkit import ready


def serve(sock):
    while True:
        conn, _ = sock.accept()
        conn.close()


def start_worker(sock):
    pid = os.fork()
    if pid == 0:
        serve(sock)
        os._exit(0)
    return pid


def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    workers = {start_worker(sock) for _ in range(2)}
    threading.Timer(0.5, ready).start()
    while True:
        pid, status = os.wait()  # LINE:reap
        workers.discard(pid)
        workers.add(start_worker(sock))


main()
