"""Hang: a baton hand-off. The scheduler takes `busy` with acquire() and hands it to a job worker
that releases it when the job is done, then needs `db`; the reporter holds `db` and waits for
`busy`. The job worker first waits for its input Event, which nothing will ever set (the fetcher
that should set it was never started): no thread is left to end any of these waits."""
import threading
import time

from _appkit import ready

busy = threading.Lock()
db = threading.Lock()
fetched = threading.Event()


def worker():
    fetched.wait()  # LINE:worker_wait
    busy.release()


def scheduler():
    busy.acquire()  # LINE:scheduler_acquire
    threading.Thread(target=worker, name="job-worker", daemon=True).start()
    time.sleep(0.2)
    with db:  # LINE:scheduler_db
        pass


def reporter():
    time.sleep(0.05)
    with db:  # LINE:reporter_db
        time.sleep(0.05)
        with busy:  # LINE:reporter_busy
            pass


def main():
    threads = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
    for t in threads:
        t.start()
    time.sleep(0.5)
    ready()
    for t in threads:
        t.join()  # LINE:join


if __name__ == "__main__":
    main()
