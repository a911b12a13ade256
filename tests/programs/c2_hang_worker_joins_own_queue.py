"""Hang: the journal writer handles a 'checkpoint' command by waiting for the queue to drain
(jobs.join()); but the checkpoint item itself is unfinished until the writer calls task_done()."""
import queue
import threading

from _appkit import ready

jobs = queue.Queue()
journal = []


def writer():
    while True:
        kind, payload = jobs.get()
        if kind == "checkpoint":
            jobs.join()  # LINE:writer_join
            journal.append(("checkpoint", len(journal)))
        else:
            journal.append(payload)
        jobs.task_done()


def main():
    t = threading.Thread(target=writer, name="journal-writer")
    t.start()
    for i in range(5):
        jobs.put(("record", i))
    jobs.put(("checkpoint", None))
    threading.Timer(0.3, ready).start()
    t.join()  # LINE:main_join


main()
