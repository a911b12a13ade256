"""A program that deadlocks (or only sleeps) after a moment, for bench/watch_cost.py's time from
the hang to the report. `deadlock`: two threads in a lock-order cycle; `sleep`: every thread in
time.sleep (reported only with --idle). It prints `HANG <time.time()>` when the state is formed
(just before the last blocking call)."""
import sys
import threading
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "deadlock"


def mark():
    sys.stdout.write("HANG %.6f\n" % time.time())
    sys.stdout.flush()


if __name__ == "__main__":
    time.sleep(0.5)  # some life before the hang
    if MODE == "sleep":
        mark()
        time.sleep(3600)
    a, b = threading.Lock(), threading.Lock()
    both = threading.Barrier(2)

    def first():
        with a:
            both.wait()
            with b:
                pass

    def second():
        with b:
            both.wait()
            mark()
            with a:
                pass

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
