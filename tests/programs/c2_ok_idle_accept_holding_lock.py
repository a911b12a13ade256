"""Healthy, idle (waiting for a client): an admin endpoint accepts one connection while
holding the server's state lock (poor style, not a hang); two worker threads wait for that
lock, the main thread joins them."""
import socket
import threading
import time

from _appkit import ready

state_lock = threading.Lock()


def admin(listener):
    with state_lock:
        conn, _ = listener.accept()  # LINE:accept
        conn.close()


def worker(n):
    with state_lock:  # LINE:worker_lock
        pass


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    a = threading.Thread(target=admin, args=(listener,), name="admin")
    a.start()
    time.sleep(0.2)
    workers = [threading.Thread(target=worker, args=(i,), name="worker-%d" % i) for i in range(2)]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
