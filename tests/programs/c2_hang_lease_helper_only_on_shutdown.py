# The lease's release lives in a helper, end_lease(), that only the shutdown path calls, and
# nothing runs that path: no thread is in on_shutdown() and nothing hands it to a timer. The
# scheduler holds the lease and waits for db; the reporter holds db and waits for the lease.
# A real deadlock: the helper existing somewhere does not make it run.
import threading, time
import _appkit

lease = threading.Lock()
db = threading.Lock()


def end_lease():
    lease.release()


def on_shutdown():
    end_lease()


def scheduler():
    lease.acquire()  # LINE:sched_acquire
    time.sleep(0.3)
    with db:  # LINE:sched_db
        pass


def reporter():
    time.sleep(0.1)
    with db:  # LINE:rep_db
        time.sleep(0.1)
        with lease:  # LINE:rep_lease
            pass


ts = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
for t in ts:
    t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts:
    t.join()
