"""Healthy, busy: a tiny line-based HTTP-ish key/value server with one thread per connection,
and three client threads hammering it over TCP on 127.0.0.1 at full speed. A stats lock is
shared by the handlers; the main thread waits for the acceptor (which never ends)."""
import socket
import threading

from _appkit import ready

store = {"/index": b"hello", "/status": b"ok"}
stats = {"requests": 0, "misses": 0}
stats_lock = threading.Lock()


def handle(conn):
    reader = conn.makefile("rb")
    while True:
        request = reader.readline()  # LINE:server_readline
        if not request:
            conn.close()
            return
        method, path = request.decode().split()
        with stats_lock:
            stats["requests"] += 1
            body = store.get(path)
            if body is None:
                stats["misses"] += 1
                body = b"not found"
        conn.sendall(b"%d %s\n" % (len(body), body))


def acceptor(server):
    n = 0
    while True:
        conn, _ = server.accept()  # LINE:accept
        n += 1
        threading.Thread(target=handle, args=(conn,), name="conn-%d" % n, daemon=True).start()


def client(port, paths):
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")
    i = 0
    while True:
        path = paths[i % len(paths)]
        i += 1
        sock.sendall(b"GET " + path.encode() + b"\n")
        reply = reader.readline()  # LINE:client_readline
        size, _, body = reply.partition(b" ")
        if int(size) != len(body.rstrip(b"\n")):
            raise RuntimeError("short reply %r" % reply)


def main():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    accept_thread = threading.Thread(target=acceptor, args=(server,), name="acceptor", daemon=True)
    accept_thread.start()
    for i, paths in enumerate((["/index"], ["/status", "/missing"], ["/index", "/status"])):
        threading.Thread(target=client, args=(port, paths), name="client-%d" % i, daemon=True).start()
    ready()
    accept_thread.join()  # LINE:main_join


if __name__ == "__main__":
    main()
