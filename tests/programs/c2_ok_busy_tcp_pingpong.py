"""Healthy, busy: a request/response loop over loopback TCP between two threads of one process,
as fast as it goes (a client sends a small request and waits for the reply; the server thread
waits for the request, then answers). At any moment one side waits for the other, which is
about to send: never a deadlock."""
import socket
import threading

from _appkit import ready


def server(listener):
    conn, _ = listener.accept()
    while True:
        request = conn.recv(64)  # LINE:server_recv
        if not request:
            return
        conn.sendall(b"ok:" + request)


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=server, args=(listener,), name="server", daemon=True).start()
    client = socket.create_connection(listener.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ready()
    n = 0
    while True:
        client.sendall(b"req %d" % n)
        client.recv(64)  # LINE:client_recv
        n += 1


if __name__ == "__main__":
    main()
