"""A write buffer with a pause()/resume() API for snapshots: the snapshot thread pauses the buffer
(takes its lock), copies the data out slowly, and resumes (releases it). The ingest thread uses
`with buf:` to group writes into one batch (the context manager only counts batches and flushes
on exit); add() takes the buffer lock briefly. While a snapshot runs, writers wait in add().
Healthy: the snapshot always resumes."""
import threading
import time
from _appkit import ready

class Buffer:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.batches = 0

    def __enter__(self):
        self.batches += 1
        return self

    def __exit__(self, *exc):
        if len(self.items) > 10000:
            self.flush()

    def add(self, item):
        with self.lock:
            self.items.append(item)

    def flush(self):
        with self.lock:
            del self.items[:5000]

    def pause(self):
        self.lock.acquire()

    def resume(self):
        self.lock.release()

def writer(buf, n):
    i = 0
    while True:
        with buf:
            for _ in range(20):
                buf.add((n, i))
                i += 1
        time.sleep(0.002)

def take_snapshot(buf):
    buf.pause()
    try:
        copy = list(buf.items)
        time.sleep(0.8)           # write the copy to disk
    finally:
        buf.resume()
    return len(copy)

def snapshotter(buf):
    while True:
        take_snapshot(buf)
        time.sleep(0.05)

def main():
    buf = Buffer()
    for n in range(1):   # one ingest thread
        threading.Thread(target=writer, args=(buf, n), name="writer-%d" % n, daemon=True).start()
    threading.Thread(target=snapshotter, args=(buf,), name="snapshotter", daemon=True).start()
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(1)

if __name__ == "__main__":
    main()
