"""Healthy, idle: a mail relay. Three delivery threads poll the outbox with
queue.get(timeout=0.5) so that they can notice the stop flag; nothing is queued. The main
thread joins them (no timeout)."""
import queue
import threading

from _appkit import ready

outbox = queue.Queue()
stopping = threading.Event()
delivered = []


def deliver(worker):
    while not stopping.is_set():
        try:
            message = outbox.get(timeout=0.5)  # LINE:poll_get
        except queue.Empty:
            continue
        delivered.append((worker, message))
        outbox.task_done()


def main():
    workers = [threading.Thread(target=deliver, args=(i,), name="delivery-%d" % i) for i in range(3)]
    for w in workers:
        w.start()
    ready()
    for w in workers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
