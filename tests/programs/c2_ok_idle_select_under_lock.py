"""Healthy, idle: a serial-port-like reader thread "modem" holds `port_lock` and polls a socket
(socketpair; the peer end is passed to a child process `sleep 3600`, so it is external) with
select(timeout=1.0) in a loop; two threads wait for port_lock (no timeout), MainThread joins.
Right verdict: NO deadlock (the holder is polling an external fd with a timeout loop)."""
import select
import socket
import subprocess
import threading
import time

from _appkit import ready

port_lock = threading.Lock()


def modem(sock):
    with port_lock:  # LINE:modem_with
        while True:
            r, _, _ = select.select([sock], [], [], 1.0)  # LINE:select
            if r:
                if not sock.recv(100):
                    return


def user():
    with port_lock:
        pass


def main():
    a, b = socket.socketpair()
    child = subprocess.Popen(["sleep", "3600"], pass_fds=[b.fileno()])
    b.close()
    ts = [threading.Thread(target=modem, args=(a,), name="modem")]
    ts += [threading.Thread(target=user, name="user-%d" % i) for i in range(2)]
    for t in ts:
        t.start()
        time.sleep(0.05)
    time.sleep(0.2)
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
