"""Hang across processes: the main thread holds the configuration lock while it runs a helper
with subprocess.run(); the helper asks this process's control server (a Unix socket) for the
configuration, and the server's handler needs the configuration lock to answer. The child
waits for the server, the server for the lock, the lock's holder for the child."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from _appkit import ready

config_lock = threading.Lock()
config = {"level": 3}
HELPER = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"get")
print(s.recv(4096))
"""


def serve(server):
    while True:
        conn, _ = server.accept()
        conn.recv(64)
        with config_lock:  # LINE:serve_with
            conn.sendall(repr(config).encode())
        conn.close()


def reconfigure(path):
    with config_lock:  # LINE:reconfigure_with
        subprocess.run([sys.executable, "-c", HELPER, path], check=True)  # LINE:run


def main():
    path = os.path.join(tempfile.mkdtemp(), "control.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(4)
    threading.Thread(target=serve, args=(server,), name="control-server", daemon=True).start()
    threading.Timer(0.3, ready).start()
    reconfigure(path)


if __name__ == "__main__":
    main()
