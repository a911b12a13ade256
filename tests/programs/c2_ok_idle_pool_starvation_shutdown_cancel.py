"""Healthy, idle: a pool starved by its own requests; a deadline watchdog sleeps until the
deadline and shuts the pool down with cancel_futures=True (Python 3.9+), which cancels the
queued lookups: the requests get CancelledError and finish."""
import concurrent.futures as cf
import threading
import time

from _appkit import ready

pool = cf.ThreadPoolExecutor(2)
both_started = threading.Barrier(2)


def lookup():
    return "cached"


def handle_request():
    both_started.wait()
    f = pool.submit(lookup)
    try:
        return f.result()  # LINE:request_result
    except cf.CancelledError:
        return None


def deadline_watchdog():
    time.sleep(3600)  # LINE:watchdog_sleep
    pool.shutdown(wait=False, cancel_futures=True)


def main():
    threading.Thread(target=deadline_watchdog, name="deadline-watchdog", daemon=True).start()
    requests = [pool.submit(handle_request) for _ in range(2)]
    time.sleep(0.3)
    ready()
    print([r.result() for r in requests])


if __name__ == "__main__":
    main()
