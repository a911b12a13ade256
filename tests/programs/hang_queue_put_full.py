"""The main thread puts into a full bounded Queue whose consumer has died.

Thread "uploader" (the only consumer of `results`, a Queue(maxsize=3)) crashed on its first
item; the main thread fills the queue and then blocks forever in results.put(). It is the only
thread left.
"""
import logging
import queue
import threading

from _hangkit import ready, setup_logging

log = logging.getLogger("uploader")
results = queue.Queue(maxsize=3)


def upload():
    item = results.get()
    raise ConnectionError(f"cannot upload {item!r}")


def main():
    setup_logging()
    uploader = threading.Thread(target=upload, name="uploader")
    uploader.start()
    results.put("result-0")
    uploader.join()
    for n in range(1, 4):
        results.put(f"result-{n}")
    ready()
    results.put("result-4")  # LINE:put


if __name__ == "__main__":
    main()
