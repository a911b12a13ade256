"""Not a deadlock: threads waiting for network I/O.

Thread "listener" waits in accept() on a listening TCP socket (127.0.0.1, ephemeral port);
thread "reader" waits in recv() on one end of a socketpair whose other end never writes. The main
thread waits in join() for the listener. A connection or data may arrive at any time.
"""
import logging
import socket
import threading

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("net")


def serve(server, arrivals):
    arrivals.arrive()
    conn, addr = server.accept()  # LINE:accept
    log.info("connection from %s", addr)


def read_replies(sock, arrivals):
    arrivals.arrive()
    data = sock.recv(4096)  # LINE:recv
    log.info("got %d bytes", len(data))


if __name__ == "__main__":
    setup_logging()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    ours, theirs = socket.socketpair()
    arrivals = Rendezvous(2)
    listener = threading.Thread(target=serve, args=(server, arrivals), name="listener")
    reader = threading.Thread(target=read_replies, args=(ours, arrivals), name="reader")
    listener.start()
    reader.start()
    arrivals.wait_all()
    ready()
    listener.join()  # LINE:join
