"""An RLock held by a thread that has exited.

Thread "migrator" calls registry.migrate(), which takes registry.lock with acquire() and returns
early without releasing it; then the thread exits. The RLock still records "migrator" as its
owner. Without arguments the main thread then calls registry.lookup() and waits for the lock
forever. With `--raise` the migration raises instead (the thread dies with a traceback) and the
waiter is thread "api-handler" (started before the migrator, so that it cannot reuse the dead
thread's identity); the main thread waits in join() for api-handler.
"""
import sys
import threading

from _hangkit import ready, setup_logging
from registry import Registry

registry = Registry()


def serve_lookups(migrated):
    migrated.wait()
    ready()
    return registry.lookup("db")  # LINE:handler_call


def main():
    setup_logging()
    failing = "--raise" in sys.argv
    migrated = threading.Event()
    handler = None
    if failing:
        handler = threading.Thread(target=serve_lookups, args=(migrated,), name="api-handler")
        handler.start()
    migrator = threading.Thread(target=registry.migrate, args=(1, failing) if not failing else (2, True),
                                name="migrator")
    migrator.start()
    migrator.join()
    if failing:
        migrated.set()
        handler.join()  # LINE:join
    else:
        ready()
        registry.lookup("db")  # LINE:main_call


if __name__ == "__main__":
    main()
