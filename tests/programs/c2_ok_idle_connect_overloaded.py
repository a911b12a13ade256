"""Healthy, idle (waiting for the network): a service registry's health checker connects to a
backend whose accept queue is full (the backend, a child process, is overloaded and does not
accept); the checker holds the registry lock during the connect, so two request threads wait
for that lock. The connect ends by itself when the kernel gives up (about two minutes), and the
checker tries again (the program stays in that state, however long a test takes to read it)."""
import os
import socket
import threading
import time

from _appkit import ready

registry_lock = threading.Lock()


def backend(listener):
    time.sleep(3600)


def health_check(addr):
    with registry_lock:
        while True:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(addr)  # LINE:connect
                return
            except OSError:
                s.close()


def request(n):
    with registry_lock:  # LINE:request_lock
        pass


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    addr = listener.getsockname()
    pid = os.fork()
    if pid == 0:
        backend(listener)
        os._exit(0)
    listener.close()
    queued = []
    for _ in range(4):  # fill the backend's accept queue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(addr)
        except BlockingIOError:
            pass
        queued.append(s)
    time.sleep(0.3)
    checker = threading.Thread(target=health_check, args=(addr,), name="health-check")
    checker.start()
    time.sleep(0.2)
    requests = [threading.Thread(target=request, args=(i,), name="request-%d" % i) for i in range(2)]
    for r in requests:
        r.start()
    ready()
    checker.join()  # LINE:main_join


if __name__ == "__main__":
    main()
