"""Healthy, busy: a log shipper. Four request threads log through a QueueHandler; a
QueueListener thread hands the records to a batching handler that "ships" a batch (compresses
it) every 50 records under its own lock. The main thread waits for the request threads."""
import logging
import logging.handlers
import queue
import threading
import zlib

from _appkit import ready


class BatchShipper(logging.Handler):
    def __init__(self, batch_size=50):
        logging.Handler.__init__(self)
        self.batch_size = batch_size
        self.batch = []
        self.batch_lock = threading.Lock()
        self.shipped_bytes = 0

    def emit(self, record):
        line = self.format(record)
        with self.batch_lock:  # LINE:ship_with
            self.batch.append(line)
            if len(self.batch) >= self.batch_size:
                payload = "\n".join(self.batch).encode()
                self.shipped_bytes += len(zlib.compress(payload))
                del self.batch[:]


def serve_requests(log, worker):
    n = 0
    while True:
        n += 1
        total = sum(i * i for i in range(200))
        log.info("worker %d served request %d (checksum %d)", worker, n, total)  # LINE:log_info
        if n % 97 == 0:
            log.warning("worker %d: slow request %d", worker, n)


def main():
    records = queue.Queue(maxsize=1000)
    shipper = BatchShipper()
    shipper.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(levelname)s %(message)s"))
    listener = logging.handlers.QueueListener(records, shipper)
    listener.start()
    log = logging.getLogger("shop.requests")
    log.setLevel(logging.INFO)
    log.addHandler(logging.handlers.QueueHandler(records))
    log.propagate = False
    workers = [threading.Thread(target=serve_requests, args=(log, i), name="request-%d" % i, daemon=True)
               for i in range(4)]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
