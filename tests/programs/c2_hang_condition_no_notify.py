"""Hang: a Condition nobody notifies, and a lock held by a thread stuck behind it. The
"flusher" waits for `dirty` (the writer notifies a different Condition by mistake); the
"writer" holds the journal lock while it joins the flusher; the main thread waits for the
journal lock."""
import threading
import time

from _appkit import ready


class Journal:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []
        self.dirty = threading.Condition()
        self.clean = threading.Condition()

    def flusher(self):
        with self.dirty:
            self.dirty.wait()  # LINE:flusher_wait
            self.entries = []

    def write_and_flush(self, flusher_thread, entry):
        with self.lock:  # LINE:writer_with
            self.entries.append(entry)
            with self.clean:
                self.clean.notify_all()  # BUG: should be self.dirty
            flusher_thread.join()  # LINE:writer_join


def main():
    journal = Journal()
    flusher = threading.Thread(target=journal.flusher, name="flusher")
    flusher.start()
    time.sleep(0.05)
    writer = threading.Thread(target=journal.write_and_flush, args=(flusher, "debit 10"), name="writer")
    writer.start()
    time.sleep(0.05)
    ready()
    with journal.lock:  # LINE:main_with
        print(journal.entries)


if __name__ == "__main__":
    main()
