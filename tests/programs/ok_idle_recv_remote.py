"""Healthy, idle: a client blocked in sock.recv() on a 127.0.0.1 server that accepted the
connection but has not answered yet. The server runs in another process (a child started with
multiprocessing) that sits in its own recv(); pyhang reads only the client (no --children)."""
import multiprocessing
import socket

from _appkit import ready


def slow_server(listener):
    conn, _ = listener.accept()
    conn.recv(1024)  # the request; the answer never comes (in this test's lifetime)
    conn.recv(1024)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    server = multiprocessing.Process(target=slow_server, args=(listener,), name="server", daemon=True)
    server.start()
    client = socket.create_connection(listener.getsockname())
    client.sendall(b"GET /report HTTP/1.0\r\n\r\n")
    ready()
    answer = client.recv(4096)  # LINE:client_recv
    print(answer)


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
