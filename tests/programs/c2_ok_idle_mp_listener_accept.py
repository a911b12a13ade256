"""Healthy, idle: a control server waits in multiprocessing.connection.Listener.accept(); the
client child process sleeps before it connects. A worker thread waits on a queue the server
feeds."""
import queue
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Listener

from _appkit import ready

CLIENT = """
import sys, time
from multiprocessing.connection import Client
time.sleep(3600)
c = Client(("127.0.0.1", int(sys.argv[1])), authkey=b"k")
c.send("hello")
"""

commands = queue.Queue()


def worker():
    while True:
        print("command", commands.get(), flush=True)


def main():
    listener = Listener(("127.0.0.1", 0), authkey=b"k")
    threading.Thread(target=worker, name="worker", daemon=True).start()
    child = subprocess.Popen([sys.executable, "-c", CLIENT, str(listener.address[1])])
    time.sleep(0.3)
    ready()
    conn = listener.accept()
    commands.put(conn.recv())
    child.wait()


if __name__ == "__main__":
    main()
