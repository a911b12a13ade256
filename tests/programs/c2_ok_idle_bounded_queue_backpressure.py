"""Healthy, idle: a producer is blocked in put() on a full bounded queue (back-pressure) while the
only consumer is slowly uploading its current batch (a long sleep). A monitor waits on a Condition
with a timeout to report progress."""
import queue
import threading
import time

from _appkit import ready

batches = queue.Queue(maxsize=2)
progress = threading.Condition()
uploaded = 0


def producer():
    n = 0
    while True:
        batches.put(["row-%d" % i for i in range(n, n + 100)])
        n += 100


def uploader():
    global uploaded
    while True:
        batch = batches.get()
        time.sleep(3600)  # a slow upload
        with progress:
            uploaded += len(batch)
            progress.notify_all()


def monitor():
    with progress:
        while True:
            progress.wait(timeout=600)


def main():
    for target, name in ((producer, "producer"), (uploader, "uploader"), (monitor, "monitor")):
        threading.Thread(target=target, name=name, daemon=True).start()
    time.sleep(0.3)
    ready()
    threading.Event().wait(3600)


if __name__ == "__main__":
    main()
