"""Healthy, idle: a server thread accepted a connection from a client child process and waits in
recv(); the client connected and sleeps before sending. Main joins the server thread."""
import socket
import subprocess
import sys
import threading
import time

from _appkit import ready

CLIENT = """
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(3600)
s.sendall(b"ping")
"""


def serve(listener):
    conn, _ = listener.accept()
    data = conn.recv(1024)
    print("got", data, flush=True)


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    t = threading.Thread(target=serve, args=(listener,), name="server")
    t.start()
    child = subprocess.Popen([sys.executable, "-c", CLIENT, str(listener.getsockname()[1])])
    time.sleep(0.5)
    ready()
    t.join()
    child.wait()


main()
