"""Healthy: a reactor thread selects on a socketpair without a timeout; a threading.Timer thread
writes the wake-up byte in an hour. The main thread joins the reactor."""
import selectors
import socket
import threading

from _appkit import ready

rsock, wsock = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(rsock, selectors.EVENT_READ)


def reactor():
    while True:
        for key, _ in sel.select():  # LINE:reactor_select
            key.fileobj.recv(1)
            return


t = threading.Thread(target=reactor, name="reactor")
t.start()
threading.Timer(3600, wsock.send, args=(b"x",)).start()
threading.Timer(0.3, ready).start()
t.join()
