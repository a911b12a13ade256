"""Hang: an RLock held by a thread that has exited. The schema migrator takes the schema lock
with acquire() and releases it at the end, but a migration step raises and the thread dies with
the lock held. The API thread, which started meanwhile, and then the main thread wait for it
forever."""
import threading

from _appkit import ready

schema_lock = threading.RLock()
schema = {"version": 3}
migration_started = threading.Event()
api_waiting = threading.Event()


def migrate(steps):
    schema_lock.acquire()  # LINE:migrate_acquire
    migration_started.set()
    api_waiting.wait()
    for step in steps:
        step(schema)  # raises: the release below never runs
    schema_lock.release()


def add_column(s):
    s["version"] += 1


def drop_legacy(s):
    del s["legacy_table"]


def serve_api():
    api_waiting.set()
    with schema_lock:  # LINE:api_with
        return schema["version"]


def main():
    migrator = threading.Thread(target=migrate, args=([add_column, drop_legacy],), name="migrator")
    migrator.start()
    migration_started.wait()
    api = threading.Thread(target=serve_api, name="api")
    api.start()
    migrator.join()
    ready()
    with schema_lock:  # LINE:main_with
        print(schema)


if __name__ == "__main__":
    main()
