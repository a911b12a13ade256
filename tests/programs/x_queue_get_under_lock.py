"""Hang: a wait on a queue while holding the lock its producer needs. The dispatcher takes the
registry lock and then waits in jobs.get() for the next job; the submitter must take the same
lock to register a job before it puts it on the queue. The only jobs.put() is behind the lock
the waiter holds."""
import queue
import threading

from _appkit import ready

registry_lock = threading.Lock()
jobs = queue.Queue()
registry = {}
dispatched = threading.Event()


def dispatcher():
    with registry_lock:  # LINE:dispatcher_with
        dispatched.set()
        job = jobs.get()  # LINE:dispatcher_get
        registry[job] = "running"


def submitter():
    dispatched.wait()
    with registry_lock:  # LINE:submitter_with
        registry["job-1"] = "queued"
        jobs.put("job-1")  # LINE:submitter_put


def main():
    d = threading.Thread(target=dispatcher, name="dispatcher")
    s = threading.Thread(target=submitter, name="submitter")
    d.start()
    s.start()
    threading.Timer(0.3, ready).start()
    d.join()
    s.join()


if __name__ == "__main__":
    main()
