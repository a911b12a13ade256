"""Hang: signal-handler re-entrancy. A SIGALRM interval timer snapshots the request counters
under the stats lock; the main thread updates the counters under the same non-reentrant lock.
When the signal arrives while the main thread is inside its `with stats_lock:` block, the
handler runs on the main thread and waits forever for the lock the main thread holds."""
import signal
import threading

from _appkit import ready

stats_lock = threading.Lock()
counters = {"requests": 0, "errors": 0}
snapshots = []
in_handler = False


def on_alarm(signum, frame):
    global in_handler
    if in_handler:  # a tick while an earlier snapshot runs: skip it
        return
    in_handler = True
    if stats_lock.locked():  # only the main thread takes it: the handler interrupted its block
        # Stop the timer: a blocked acquire() runs the handlers of later signals in itself, which
        # would stack up handler frames until the recursion limit ends the process.
        signal.setitimer(signal.ITIMER_REAL, 0)
        ready()
    with stats_lock:  # LINE:handler_with
        snapshots.append(dict(counters))
        del snapshots[:-10]
    in_handler = False


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
    n = 0
    while True:
        n += 1
        with stats_lock:  # LINE:main_with
            counters["requests"] += 1
            if n % 7 == 0:
                counters["errors"] += 1
            counters["last"] = [n, n * 2, str(n)]


if __name__ == "__main__":
    main()
