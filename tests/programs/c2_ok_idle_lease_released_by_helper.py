# A render lease (a plain Lock taken with acquire()) handed from the scheduler to the nightly
# maintenance thread, which gives it back through a helper: maintenance() sleeps until the
# maintenance window and then calls end_lease(), whose body releases the lease. Scheduler holds
# the lease and waits for the db lock; the reporter holds db and waits for the lease. Healthy:
# when the window comes, end_lease() releases it and everything finishes.
import threading, time
import _appkit

lease = threading.Lock()
db = threading.Lock()


def end_lease():
    print("maintenance: lease returned", flush=True)
    lease.release()


def maintenance():
    time.sleep(3600)  # LINE:window_sleep
    end_lease()


def scheduler():
    lease.acquire()
    threading.Thread(target=maintenance, name="maintenance", daemon=True).start()
    time.sleep(0.3)
    with db:
        pass


def reporter():
    time.sleep(0.1)
    with db:
        time.sleep(0.1)
        with lease:
            pass


ts = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
for t in ts:
    t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts:
    t.join()
