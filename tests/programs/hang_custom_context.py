"""A self-deadlock through a custom context manager that wraps a plain Lock.

`Transaction(db)` takes db.lock in __enter__ (txn.py). Thread "importer" opens a transaction in
import_rows() and, for an audit row, calls log_audit(), which opens another transaction on the
same database: Transaction.__enter__ waits for db.lock, which the importer already holds through
the outer transaction. The main thread waits in join() for the importer.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging
from txn import Database, Transaction

db = Database("orders")


def log_audit(message):
    with Transaction(db):  # LINE:inner_txn
        db.rows.append(("audit", message))


def import_rows(rows, arrivals):
    with Transaction(db):  # LINE:outer_txn
        for row in rows:
            db.rows.append(row)
        arrivals.arrive()
        log_audit(f"imported {len(rows)} rows")  # LINE:audit_call


if __name__ == "__main__":
    setup_logging()
    arrivals = Rendezvous(1)
    importer = threading.Thread(target=import_rows, args=([("order", 1), ("order", 2)], arrivals), name="importer")
    importer.start()
    arrivals.wait_all()
    ready()
    importer.join()  # LINE:join
