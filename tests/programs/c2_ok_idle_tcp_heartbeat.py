"""Healthy, idle: a monitor thread reads a heartbeat stream from the program's own heartbeat
server thread over loopback TCP; the server sends one line every 10 minutes and sleeps in
between. The main thread joins the monitor. Every thread waits, but the server's sleep ends:
not a deadlock."""
import socket
import threading
import time

from _appkit import ready


def heartbeat_server(listener):
    conn, _ = listener.accept()
    while True:
        conn.sendall(b"beat %d\n" % int(time.time()))
        time.sleep(600)  # LINE:server_sleep


def monitor(port):
    stream = socket.create_connection(("127.0.0.1", port))
    stream.recv(64)
    while True:
        line = stream.recv(64)  # LINE:monitor_recv
        if not line:
            return


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=heartbeat_server, args=(listener,), name="heartbeat", daemon=True).start()
    watcher = threading.Thread(target=monitor, args=(listener.getsockname()[1],), name="monitor")
    watcher.start()
    threading.Timer(0.5, ready).start()
    watcher.join()  # LINE:join


if __name__ == "__main__":
    main()
