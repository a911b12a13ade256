"""Hang (the one socketserver's documentation warns of): an admin service on a plain TCPServer;
the "quit" command's handler calls server.shutdown(), which waits for serve_forever() to stop,
but serve_forever() runs the handler on the same thread. The admin client waits for "bye"."""
import socket
import socketserver
import threading
import time

from _appkit import ready


class AdminHandler(socketserver.StreamRequestHandler):
    def handle(self):
        command = self.rfile.readline().strip()
        if command == b"quit":
            self.server.shutdown()  # LINE:handler_shutdown
        self.wfile.write(b"bye\n")


def admin_client(port):
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"quit\n")
    conn.recv(100)  # LINE:client_recv


def announce():
    time.sleep(0.5)
    ready()


def main():
    server = socketserver.TCPServer(("127.0.0.1", 0), AdminHandler)
    threading.Thread(target=admin_client, args=(server.server_address[1],), name="admin-client").start()
    threading.Thread(target=announce, name="announce", daemon=True).start()
    server.serve_forever(poll_interval=3600)  # LINE:serve


if __name__ == "__main__":
    main()
