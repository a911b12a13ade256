"""Healthy, idle (with or without --children): a cache-refresh bridge. A child process (spawn context) holds a
multiprocessing.Lock `db_lock` during a long migration (sleep 3600) and then releases it; thread
"refresher" waits to acquire db_lock (no timeout) and then writes a wake-up byte into a
socketpair; thread "cache-loop" waits in select.poll().poll() (no timeout, one descriptor) on
the other end; MainThread joins cache-loop.
Not a deadlock: a live child process holds db_lock and will release it."""
import multiprocessing
import select
import socket
import threading
import time

from _appkit import ready

wake_r, wake_w = socket.socketpair()


def migrate(lock, started):
    with lock:
        started.set()
        time.sleep(3600)


def refresher(lock):
    with lock:  # LINE:acquire
        pass
    wake_w.send(b"x")


def cache_loop():
    p = select.poll()
    p.register(wake_r.fileno(), select.POLLIN)
    p.poll()  # LINE:poll
    wake_r.recv(1)


def main():
    ctx = multiprocessing.get_context("spawn")
    db_lock = ctx.Lock()
    started = ctx.Event()
    child = ctx.Process(target=migrate, args=(db_lock, started), name="migration")
    child.start()
    started.wait()
    threading.Thread(target=refresher, args=(db_lock,), name="refresher").start()
    t = threading.Thread(target=cache_loop, name="cache-loop")
    t.start()
    time.sleep(0.4)
    ready()
    t.join()


if __name__ == "__main__":
    main()
