"""Hang: three pipeline stages pass work around a ring of bounded queues (maxsize=1), and a
retry path re-queues failed items into the stage's own outbox. With more items in flight than
the ring has room for, every stage ends up blocked in put() on a full queue whose only reader is
itself blocked in put()."""
import queue
import threading
import time

from _appkit import ready

STAGES = 3
inboxes = [queue.Queue(maxsize=1) for _ in range(STAGES)]


def stage(n):
    inbox, outbox = inboxes[n], inboxes[(n + 1) % STAGES]
    while True:
        item = inbox.get()
        time.sleep(0.01)
        outbox.put(item)  # LINE:put


def feeder():
    # seven items for six places (three queues, three stages): the ring fills up
    for i in range(7):
        inboxes[0].put(i)  # LINE:feed


def main():
    threads = [threading.Thread(target=stage, args=(n,), name="stage-%d" % n) for n in range(STAGES)]
    for t in threads:
        t.start()
    f = threading.Thread(target=feeder, name="feeder")
    f.start()
    time.sleep(1.0)
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
