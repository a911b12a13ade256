"""Healthy, idle (a bug-prone design, but not stuck forever): a request handler pool of two
workers; each request fans out a lookup to the same pool and waits for its result, so the
lookups queue behind the two requests. A deadline watchdog thread sleeps until the request
deadline, then cancels the pending lookups: the requests get CancelledError and finish."""
import concurrent.futures as cf
import threading
import time

from _appkit import ready

pool = cf.ThreadPoolExecutor(2)
both_started = threading.Barrier(2)
lookups = []


def lookup():
    return "cached"


def handle_request():
    both_started.wait()  # both workers are busy before either fans out
    f = pool.submit(lookup)
    lookups.append(f)
    try:
        return f.result()  # LINE:request_result
    except cf.CancelledError:
        return None


def deadline_watchdog():
    time.sleep(3600)  # LINE:watchdog_sleep
    for f in lookups:
        f.cancel()


def main():
    threading.Thread(target=deadline_watchdog, name="deadline-watchdog", daemon=True).start()
    requests = [pool.submit(handle_request) for _ in range(2)]
    time.sleep(0.3)
    ready()
    print([r.result() for r in requests])


if __name__ == "__main__":
    main()
