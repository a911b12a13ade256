"""Healthy, idle: the parent sends a 1 MB job over a multiprocessing.Pipe() to a worker process
that is still loading (sleeps 10 minutes) before its first recv(). The parent kept its copy of the
child's end (the usual mp.Pipe code does not close it). The parent's send blocks on the full
socket until the child reads. Not a deadlock."""
import multiprocessing as mp, threading, time
from _appkit import ready

def child(conn):
    time.sleep(600)
    conn.recv()
    conn.send("ok")

def main():
    a, b = mp.Pipe()
    p = mp.Process(target=child, args=(b,), name="loader")
    p.start()
    threading.Timer(1.0, ready).start()
    a.send(b"p" * (1 << 20))  # LINE:send
    print(a.recv())
    p.join()

if __name__ == "__main__":
    main()
