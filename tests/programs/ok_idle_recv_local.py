"""Healthy, idle: an RPC client thread blocked in sock.recv() on a server thread of the same
process; the server accepted and waits in recv() for a second request before it answers the
first. Both wait in the kernel for the network, which pyhang cannot see through."""
import socket
import threading

from _appkit import ready


def server(listener):
    conn, _ = listener.accept()  # LINE:server_accept
    conn.recv(1024)
    conn.recv(1024)  # LINE:server_recv


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=server, args=(listener,), name="rpc-server", daemon=True).start()
    client = socket.create_connection(listener.getsockname())
    client.sendall(b"PING\n")
    ready()
    client.recv(1024)  # LINE:client_recv


if __name__ == "__main__":
    main()
