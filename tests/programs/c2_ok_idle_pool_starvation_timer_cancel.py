"""Healthy, idle: a pool starved by its own requests (each waits for a lookup queued behind it),
with a deadline armed as threading.Timer(3600, cancel_pending): when it fires, the queued
lookups are cancelled and the requests finish."""
import concurrent.futures as cf
import threading
import time

from _appkit import ready

pool = cf.ThreadPoolExecutor(2)
both_started = threading.Barrier(2)
pending = []


def lookup():
    return "cached"


def handle_request():
    both_started.wait()
    f = pool.submit(lookup)
    pending.append(f)
    try:
        return f.result()  # LINE:request_result
    except cf.CancelledError:
        return None


def cancel_pending():
    for f in pending:
        f.cancel()


def main():
    deadline = threading.Timer(3600, cancel_pending)
    deadline.daemon = True
    deadline.start()
    requests = [pool.submit(handle_request) for _ in range(2)]
    time.sleep(0.3)
    ready()
    print([r.result() for r in requests])


if __name__ == "__main__":
    main()
