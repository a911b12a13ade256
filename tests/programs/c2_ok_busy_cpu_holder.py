"""Healthy, busy: a search index rebuilt under its lock. The "indexer" thread holds index_lock
for a long pure-Python rebuild (hundreds of milliseconds), then releases it briefly; three
"searcher" threads wait for the lock with a plain `with` (no timeout). Not a deadlock: the
holder is computing and will release."""
import threading

from _appkit import ready


class SearchIndex:
    def __init__(self):
        self.index_lock = threading.Lock()
        self.terms = {}
        self.generation = 0

    def rebuild(self, documents):
        with self.index_lock:  # LINE:rebuild_with
            terms = {}
            for doc_id, text in enumerate(documents):
                for position, word in enumerate(text.split()):
                    terms.setdefault(word, []).append((doc_id, position))
            self.terms = terms
            self.generation += 1

    def search(self, word):
        with self.index_lock:  # LINE:search_with
            return len(self.terms.get(word, ()))


def indexer(index):
    documents = [" ".join("w%d" % ((d * 31 + k) % 500) for k in range(200)) for d in range(400)]
    while True:
        index.rebuild(documents)


def searcher(index, word):
    hits = 0
    while True:
        hits += index.search(word)


def main():
    index = SearchIndex()
    threading.Thread(target=indexer, args=(index,), name="indexer", daemon=True).start()
    for i in range(3):
        threading.Thread(target=searcher, args=(index, "w%d" % i), name="searcher-%d" % i, daemon=True).start()
    ready()
    threading.Event().wait()  # LINE:main_wait


if __name__ == "__main__":
    main()
