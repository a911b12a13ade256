"""A database handle with a transaction context manager (for hang_custom_context.py): entering a
Transaction takes the database's plain Lock with acquire(), leaving it releases the lock."""
import threading


class Database:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.rows = []


class Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.lock.acquire()  # LINE:txn_acquire
        return self

    def __exit__(self, *exc):
        self.db.lock.release()
        return False
