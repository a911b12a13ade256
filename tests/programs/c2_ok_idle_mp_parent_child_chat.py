"""Healthy, idle: a parent and a multiprocessing child talk over a Pipe. The parent waits in
recv() for the child's next message; the child computes slowly (a sleep) before it answers.
A heartbeat thread in the parent sends a ping every ten minutes."""
import multiprocessing
import threading
import time

from _appkit import ready


def child(conn):
    while True:
        msg = conn.recv()
        time.sleep(3600)
        conn.send(("done", msg))


def heartbeat(conn, lock):
    while True:
        time.sleep(600)
        with lock:
            conn.send("ping")


def main():
    parent, kid = multiprocessing.Pipe()
    p = multiprocessing.Process(target=child, args=(kid,), name="solver", daemon=True)
    p.start()
    send_lock = threading.Lock()
    threading.Thread(target=heartbeat, args=(parent, send_lock), name="heartbeat", daemon=True).start()
    with send_lock:
        parent.send("job-1")
    time.sleep(0.3)
    ready()
    print(parent.recv(), flush=True)


if __name__ == "__main__":
    main()
