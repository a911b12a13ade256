"""Healthy, idle: the same admin service on a ThreadingTCPServer. The "quit" handler runs in a
thread of its own and calls server.shutdown(); serve_forever() on the main thread notices the
request at its next poll (poll_interval is long here), then returns: no deadlock, only a wait."""
import socket
import socketserver
import threading
import time

from _appkit import ready


class AdminHandler(socketserver.StreamRequestHandler):
    def handle(self):
        command = self.rfile.readline().strip()
        if command == b"quit":
            time.sleep(0.2)  # serve_forever() is back in its poll by now
            self.server.shutdown()  # LINE:handler_shutdown
        self.wfile.write(b"bye\n")


def admin_client(port):
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"quit\n")
    conn.recv(100)


def announce():
    time.sleep(0.6)
    ready()


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), AdminHandler)
    server.daemon_threads = True
    threading.Thread(target=admin_client, args=(server.server_address[1],), name="admin-client", daemon=True).start()
    threading.Thread(target=announce, name="announce", daemon=True).start()
    server.serve_forever(poll_interval=3600)


if __name__ == "__main__":
    main()
