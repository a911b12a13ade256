"""Hang: a request/reply protocol between two threads where both wait to receive first. The
"client" waits for the server's banner before it sends its request; the "server" waits for a
request before it sends anything. Both block in Queue.get(); the main thread joins the client."""
import queue
import threading

from _appkit import ready

to_server = queue.Queue()
to_client = queue.Queue()


def client():
    banner = to_client.get()  # LINE:client_get
    to_server.put(("GET", "/status", banner))


def server():
    request = to_server.get()  # LINE:server_get
    to_client.put(("200", request))


def main():
    threading.Thread(target=server, name="server", daemon=True).start()
    c = threading.Thread(target=client, name="client")
    c.start()
    ready()
    c.join()  # LINE:main_join


if __name__ == "__main__":
    main()
