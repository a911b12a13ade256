"""Hang: Queue.join() with a missing task_done(). The upload worker skips task_done() for a
file it rejects (the early `continue`), so the main thread's uploads.join() never returns while
the worker waits in get() for more files."""
import queue
import threading

from _appkit import ready

uploads = queue.Queue()
stored = []


def uploader():
    while True:
        path = uploads.get()  # LINE:worker_get
        if path.endswith(".tmp"):
            continue  # BUG: no uploads.task_done()
        stored.append(path)
        uploads.task_done()


def main():
    threading.Thread(target=uploader, name="uploader", daemon=True).start()
    for path in ("a.csv", "b.tmp", "c.csv"):
        uploads.put(path)
    ready()
    uploads.join()  # LINE:main_join


if __name__ == "__main__":
    main()
