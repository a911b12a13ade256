"""Healthy, idle: two pool workers each wait for a lookup queued behind them in the same pool;
a deadline watchdog sleeps until the deadline and then calls cancel_pending(), which cancels
the queued lookups, so the requests get CancelledError and finish."""
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


def deadline_watchdog():
    time.sleep(3600)  # LINE:watchdog_sleep
    cancel_pending()


def main():
    threading.Thread(target=deadline_watchdog, name="deadline-watchdog", daemon=True).start()
    requests = [pool.submit(handle_request) for _ in range(2)]
    time.sleep(0.3)
    ready()
    print([r.result() for r in requests])


if __name__ == "__main__":
    main()
