"""Hang: a service opens its control socket (multiprocessing.connection.Listener on a Unix
socket, with an authkey) and, before starting the thread that accepts on it, connects to it
itself to register. Client() waits for the authentication challenge, which only accept() would
send; the connection sits in the listener's accept queue, and no thread will accept it."""
import os
import tempfile
import threading
from multiprocessing.connection import Client, Listener

from _appkit import ready

AUTHKEY = b"control-secret"


def serve(listener):
    while True:
        with listener.accept() as conn:
            conn.send(("ok", conn.recv()))


def main():
    path = os.path.join(tempfile.mkdtemp(), "control.sock")
    listener = Listener(path, family="AF_UNIX", authkey=AUTHKEY)
    threading.Timer(0.3, ready).start()
    with Client(path, family="AF_UNIX", authkey=AUTHKEY) as conn:  # LINE:self_connect
        conn.send("register")
    threading.Thread(target=serve, args=(listener,), name="control", daemon=True).start()


if __name__ == "__main__":
    main()
