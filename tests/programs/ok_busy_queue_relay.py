"""Healthy, busy: a log shipper. Thread "parser" turns raw lines into records and hands them to
thread "shipper" through `outbox`; the shipper acknowledges each batch through `acks`. Both
queues are passed at full speed, so at any moment either thread may be inside get() or put()
waiting for the other for a few microseconds: never a deadlock."""
import queue
import threading

from _appkit import ready

outbox = queue.Queue(maxsize=64)
acks = queue.Queue(maxsize=64)
shipped = [0]


def parser():
    seq = 0
    while True:
        seq += 1
        outbox.put({"seq": seq, "level": "INFO", "msg": "request %d served" % seq})  # LINE:parser_put
        if seq % 16 == 0:
            acks.get()  # LINE:parser_ack


def shipper():
    batch = []
    while True:
        record = outbox.get()  # LINE:shipper_get
        batch.append(record)
        if len(batch) == 16:
            shipped[0] += len(batch)
            batch = []
            acks.put(shipped[0])


if __name__ == "__main__":
    threading.Thread(target=shipper, name="shipper", daemon=True).start()
    threading.Thread(target=parser, name="parser", daemon=True).start()
    ready()
    threading.Event().wait()  # the main thread idles until killed (no timeout)
