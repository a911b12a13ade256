# lock_cycle_baton, but the job worker that will release `busy` first waits for the job's input
# (an Event set by a fetcher thread that is still downloading: sleeps). Scheduler holds `busy`
# (hand-off) and waits for db; reporter holds db and waits for `busy`. Healthy: fetcher sets
# the event, the worker releases busy, reporter finishes, scheduler gets db.
import threading, time
import _appkit
busy = threading.Lock(); db = threading.Lock()
fetched = threading.Event()
def fetcher():
    time.sleep(3600)          # download the job's input
    fetched.set()
def worker():
    fetched.wait()
    busy.release()
def scheduler():
    busy.acquire()
    threading.Thread(target=worker, name="job-worker", daemon=True).start()
    time.sleep(0.3)
    with db:
        pass
def reporter():
    time.sleep(0.1)
    with db:
        time.sleep(0.1)
        with busy:
            pass
threading.Thread(target=fetcher, name="fetcher", daemon=True).start()
ts = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
for t in ts: t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts: t.join()
