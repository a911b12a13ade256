"""Hang: two replicas wait for each other to finish. On shutdown each replica joins its peer
("let it flush first") before it closes its own log: replica-a joins replica-b and replica-b
joins replica-a. The main thread joins both."""
import threading
import time

from _appkit import ready


class Replica(threading.Thread):
    def __init__(self, name):
        threading.Thread.__init__(self, name=name)
        self.peer = None
        self.log = []

    def run(self):
        for i in range(3):
            self.log.append("%s entry %d" % (self.name, i))
        while self.peer is None:
            time.sleep(0.01)
        self.peer.join()  # LINE:peer_join
        self.log.append("closed")


def main():
    a = Replica("replica-a")
    b = Replica("replica-b")
    a.start()
    b.start()
    a.peer = b
    b.peer = a
    ready()
    a.join()  # LINE:main_join
    b.join()


if __name__ == "__main__":
    main()
