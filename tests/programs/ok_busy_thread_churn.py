"""Healthy, busy: a request handler that fans each request out to short-lived threads and joins
them (thread churn). At any moment the handler may be in join() on a thread that is starting,
running or exiting; new thread idents are reused all the time."""
import threading

from _appkit import ready

results = {}
results_lock = threading.Lock()


def lookup(request_id, shard):
    total = sum(range(200 + shard))
    with results_lock:
        results[(request_id, shard)] = total


def handle(request_id):
    workers = [threading.Thread(target=lookup, args=(request_id, shard), name="lookup-%d" % shard)
               for shard in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()  # LINE:handler_join
    with results_lock:
        for shard in range(4):
            del results[(request_id, shard)]


def handler():
    request_id = 0
    while True:
        request_id += 1
        handle(request_id)


if __name__ == "__main__":
    threading.Thread(target=handler, name="handler", daemon=True).start()
    ready()
    threading.Event().wait()
