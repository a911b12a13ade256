"""Hang: Queue.join() with a task_done() skipped. The worker calls task_done() only when an item
succeeds; one item fails, so join() waits for it forever while the worker, alive, waits in get()
for more."""
import queue
import threading

from _appkit import ready

images = queue.Queue()
done = []


def worker():
    while True:
        item = images.get()  # LINE:worker_get
        try:
            if item.startswith("corrupt"):
                raise ValueError("bad image: " + item)
            done.append(item)
            images.task_done()  # LINE:task_done
        except ValueError:
            pass  # BUG: task_done() is skipped for a failed item


def main():
    threading.Thread(target=worker, name="thumb-worker", daemon=True).start()
    for name in ("a.jpg", "corrupt.jpg", "b.jpg"):
        images.put(name)
    threading.Timer(0.3, ready).start()
    images.join()  # LINE:main_join


if __name__ == "__main__":
    main()
