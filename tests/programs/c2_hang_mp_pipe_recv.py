"""Hang: a protocol mismatch across processes. The parent waits in Pipe.recv() for the worker's
greeting; the worker waits in Pipe.recv() for the parent's first request. Read with --children."""
import multiprocessing

from _appkit import ready


def worker(conn):
    request = conn.recv()  # LINE:worker_recv
    conn.send({"greeting": "hello", "echo": request})


class Client:
    def __init__(self):
        self.conn, child_conn = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=worker, args=(child_conn,), name="rpc-worker")
        self.process.start()

    def handshake(self):
        greeting = self.conn.recv()  # LINE:parent_recv
        self.conn.send("hello back")
        return greeting


def main():
    client = Client()
    ready()
    client.handshake()


if __name__ == "__main__":
    main()
