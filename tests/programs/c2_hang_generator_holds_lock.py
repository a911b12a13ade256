"""Hang: a suspended generator holds a lock. Table.rows() yields rows from inside `with
self.lock:`; the report reads only the first row (the generator stays suspended, lock held) and
then inserts a summary row, which waits for the table lock. Only this thread could resume the
generator: it waits for itself."""
import threading

from _appkit import ready


class Table:
    def __init__(self):
        self.lock = threading.Lock()
        self.data = [("north", 10), ("south", 7), ("east", 3)]

    def rows(self):
        with self.lock:  # LINE:rows_with
            for row in self.data:
                yield row  # LINE:rows_yield

    def insert(self, row):
        with self.lock:  # LINE:insert_with
            self.data.append(row)


def main():
    table = Table()
    it = table.rows()
    best = next(it)  # only the first (largest) row is needed
    ready()
    table.insert(("total", best[1]))  # LINE:main_insert


if __name__ == "__main__":
    main()
