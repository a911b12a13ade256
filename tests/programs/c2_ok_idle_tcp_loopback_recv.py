"""Idle by pyhang's rule, though it never ends: an integration test runs a small line-protocol
server on a thread and talks to it over loopback TCP from the main thread. The client waits for
the server's greeting banner; the server was written to wait for the client's HELLO first. Both
sit in recv() on the two ends of one connection. A read from the network is a wait on the
outside world (a server that has not answered yet), so pyhang does not call it a deadlock; it
names who holds the other end: this very process."""
import socket
import threading

from _appkit import ready


class LineServer:
    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]

    def serve_one(self):
        conn, _ = self.listener.accept()
        self.listener.close()
        hello = conn.recv(1024)  # LINE:server_recv
        conn.sendall(b"WELCOME " + hello)


def main():
    server = LineServer()
    threading.Thread(target=server.serve_one, name="line-server", daemon=True).start()
    client = socket.create_connection(("127.0.0.1", server.port))
    threading.Timer(0.3, ready).start()
    banner = client.recv(1024)  # LINE:client_recv
    client.sendall(b"HELLO\n")
    print(banner)


if __name__ == "__main__":
    main()
