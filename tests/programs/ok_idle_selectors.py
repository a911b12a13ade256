"""Healthy, idle: a tiny line-protocol server on 127.0.0.1 with a selectors loop (select()
without a timeout). One client is connected and quiet; the loop waits for it or for new ones."""
import selectors
import socket

from _appkit import ready


def main():
    sel = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, "accept")
    quiet_client = socket.create_connection(listener.getsockname())
    announced = False
    while True:
        if not announced and len(sel.get_map()) == 2:
            announced = True
            ready()
        for key, _ in sel.select():  # LINE:select
            if key.data == "accept":
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, "client")
            else:
                data = key.fileobj.recv(1024)
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                else:
                    key.fileobj.sendall(data)
    quiet_client.close()


if __name__ == "__main__":
    main()
