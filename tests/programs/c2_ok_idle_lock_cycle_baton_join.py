# lock_cycle_baton, but the job worker runs the job in a helper thread and joins it before it
# releases `busy` (the helper computes: sleeps). Healthy.
import threading, time
import _appkit
busy = threading.Lock(); db = threading.Lock()
def worker():
    h = threading.Thread(target=time.sleep, args=(3600,), name="job-helper"); h.start()
    h.join()
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
ts = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
for t in ts: t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts: t.join()
