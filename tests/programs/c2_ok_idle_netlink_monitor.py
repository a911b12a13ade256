"""Healthy, idle: a network-interface monitor holds the routing-table lock while it waits in
recv() on a netlink socket for the kernel's next link event; the main thread waits for the lock
to print the table. A cable plugged in (any link change) ends the wait."""
import socket
import threading
import time

from _appkit import ready

RTMGRP_LINK = 1
table_lock = threading.Lock()
links = {}


def monitor(sock):
    while True:
        with table_lock:
            data = sock.recv(65536)  # LINE:netlink_recv
            links[len(links)] = len(data)


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    sock.bind((0, RTMGRP_LINK))
    threading.Thread(target=monitor, args=(sock,), name="link-monitor", daemon=True).start()
    time.sleep(0.1)
    ready()
    while True:
        with table_lock:  # LINE:main_lock
            print(sorted(links))


if __name__ == "__main__":
    main()
