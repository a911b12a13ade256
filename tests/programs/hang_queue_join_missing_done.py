"""Queue.join() waits for a task_done() that an error path forgot.

Thread "indexer" takes documents from `work` and calls task_done() after each, except when a
document is empty (the `continue` skips it). The main thread waits in work.join() forever, and
the indexer waits in work.get() for more documents.
"""
import logging
import queue
import threading

from _hangkit import ready, setup_logging

log = logging.getLogger("indexer")
work = queue.Queue()
index = {}


def indexer():
    while True:
        doc_id, text = work.get()  # LINE:indexer_get
        if not text:
            log.warning("empty document %s", doc_id)
            continue  # BUG: no work.task_done()
        index[doc_id] = text.split()
        work.task_done()


def main():
    setup_logging()
    threading.Thread(target=indexer, name="indexer", daemon=True).start()
    for doc_id, text in [(1, "hello world"), (2, ""), (3, "bye")]:
        work.put((doc_id, text))
    ready()
    work.join()  # LINE:main_join


if __name__ == "__main__":
    main()
