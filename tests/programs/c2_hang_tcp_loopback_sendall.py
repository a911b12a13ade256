"""Hang: a replication test starts two peers on threads of one process, connected over loopback
TCP. Each first pushes its whole snapshot (16 MiB) to the other and only then reads. The socket
buffers hold far less: both sendall() calls block on full buffers, and neither side reads."""
import socket
import threading

from _appkit import ready

SNAPSHOT = b"s" * (16 << 20)


def follower(listener):
    conn, _ = listener.accept()
    conn.sendall(SNAPSHOT)  # LINE:follower_send
    conn.recv(1)


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=follower, args=(listener,), name="follower", daemon=True).start()
    leader = socket.create_connection(listener.getsockname())
    threading.Timer(0.5, ready).start()
    leader.sendall(SNAPSHOT)  # LINE:leader_send
    leader.recv(1)


if __name__ == "__main__":
    main()
