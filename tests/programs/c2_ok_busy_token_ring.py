"""Healthy, busy: three pipeline stages pass four tokens around a ring of bounded queues
(maxsize=1). Every stage gets from its inbox and puts into the next stage's inbox; with four
tokens for six places the ring never fills, and the stages often wait in get() or put()."""
import queue
import threading
import time

from _appkit import ready

STAGES = 3
inboxes = [queue.Queue(maxsize=1) for _ in range(STAGES)]
passed = [0] * STAGES


def stage(n):
    inbox, outbox = inboxes[n], inboxes[(n + 1) % STAGES]
    while True:
        token = inbox.get()
        token["hops"] += 1
        passed[n] += 1
        outbox.put(token)


def main():
    for i in range(STAGES):
        inboxes[i].put({"id": i, "hops": 0})
    threads = [threading.Thread(target=stage, args=(n,), name="stage-%d" % n, daemon=True) for n in range(STAGES)]
    for t in threads:
        t.start()
    # the fourth token goes in once the ring runs
    inboxes[0].put({"id": 3, "hops": 0})
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
