"""Healthy, idle: a reload coordinator. Thread "reloader" holds `config_lock` while it waits in
signal.sigwaitinfo({SIGHUP}) for the operator's SIGHUP (blocked in all threads via
pthread_sigmask); "worker-1/2" wait for config_lock; MainThread joins.
Right verdict: NO deadlock (waiting for an external signal)."""
import signal
import threading
import time

from _appkit import ready

config_lock = threading.Lock()
config = {"gen": 0}


def reloader():
    with config_lock:  # LINE:reloader_with
        signal.sigwaitinfo({signal.SIGHUP})  # LINE:sigwait
        config["gen"] += 1


def worker():
    with config_lock:
        config.get("gen")


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    ts = [threading.Thread(target=reloader, name="reloader")]
    ts += [threading.Thread(target=worker, name="worker-%d" % i) for i in (1, 2)]
    for t in ts:
        t.start()
        time.sleep(0.05)
    time.sleep(0.2)
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
