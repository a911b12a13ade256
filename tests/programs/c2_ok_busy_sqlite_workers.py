"""Healthy, busy: an order book in SQLite (a WAL database in a temporary directory). Two writer
threads insert orders in transactions, serialised by a Python lock; three reporter threads run
aggregate queries on their own connections. sqlite3 releases the GIL while it works."""
import os
import sqlite3
import tempfile
import threading

from _appkit import ready

write_lock = threading.Lock()


def connect(path):
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return conn
        except sqlite3.Error:  # "database is locked" while another connection sets it up
            pass


def writer(path, desk):
    conn = connect(path)
    n = 0
    while True:
        n += 1
        try:
            with write_lock:  # LINE:writer_with
                with conn:
                    conn.executemany("INSERT INTO orders (desk, qty, price) VALUES (?, ?, ?)",
                                     [(desk, (n + k) % 50, 100.0 + k) for k in range(20)])
            if n % 50 == 0:
                with write_lock:
                    with conn:
                        conn.execute("DELETE FROM orders WHERE id < (SELECT MAX(id) - 2000 FROM orders)")
        except sqlite3.Error:  # "database is locked" on a loaded machine: try again
            pass


def reporter(path):
    conn = connect(path)
    while True:
        try:
            conn.execute("SELECT desk, COUNT(*), SUM(qty * price) FROM orders GROUP BY desk").fetchall()  # LINE:report
        except sqlite3.Error:  # "database is locked" on a loaded machine: try again
            pass


def main():
    directory = tempfile.mkdtemp(prefix="orderbook-")
    path = os.path.join(directory, "orders.db")
    conn = connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, desk INTEGER, qty INTEGER, price REAL)")
    conn.commit()
    threads = [threading.Thread(target=writer, args=(path, d), name="writer-%d" % d, daemon=True) for d in range(2)]
    threads += [threading.Thread(target=reporter, args=(path,), name="reporter-%d" % r, daemon=True) for r in range(3)]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
