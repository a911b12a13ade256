"""Healthy, idle: a job server. The "acceptor" thread holds the registry lock while it waits in
accept() for the next client (a bad habit, but not a deadlock); two worker threads wait on the
jobs queue (no timeout), a "janitor" waits for the registry lock, and the main thread joins the
acceptor. The chain of waits ends in a socket: a client connecting wakes it all."""
import queue
import socket
import threading

from _appkit import ready

jobs = queue.Queue()
registry_lock = threading.Lock()
clients = []


def acceptor(server):
    while True:
        with registry_lock:  # LINE:acceptor_with
            conn, address = server.accept()  # LINE:accept
            clients.append(address)
        jobs.put(conn)


def worker():
    while True:
        conn = jobs.get()  # LINE:worker_get
        conn.sendall(b"hello\n")
        conn.close()


def janitor():
    with registry_lock:  # LINE:janitor_with
        del clients[:-100]


def main():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accept_thread = threading.Thread(target=acceptor, args=(server,), name="acceptor")
    accept_thread.start()
    for i in range(2):
        threading.Thread(target=worker, name="worker-%d" % i, daemon=True).start()
    while not registry_lock.locked():
        pass
    threading.Thread(target=janitor, name="janitor", daemon=True).start()
    ready()
    accept_thread.join()  # LINE:main_join


if __name__ == "__main__":
    main()
