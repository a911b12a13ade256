"""Healthy, busy: the parent and a child process play request/response over a
multiprocessing.Pipe."""
import multiprocessing
from _appkit import ready

def echo(conn):
    while True:
        msg = conn.recv()
        conn.send(("ok", msg))

def main():
    a, b = multiprocessing.Pipe()
    p = multiprocessing.Process(target=echo, args=(b,), name="echo", daemon=True)
    p.start()
    ready()
    n = 0
    while True:
        a.send(n)
        a.recv()
        n += 1

if __name__ == "__main__":
    main()
