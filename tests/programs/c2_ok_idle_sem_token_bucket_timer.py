# Token bucket refilled by a threading.Timer (Timer(3600, budget.release)) armed at start-up;
# both API workers hold a token and wait for a second one for their sub-call. Healthy.
import threading, time
import _appkit
budget = threading.Semaphore(2)
def sub_call():
    with budget:
        pass
def api_call():
    with budget:
        time.sleep(0.2)
        sub_call()
t = threading.Timer(3600, budget.release); t.daemon = True; t.start()
ws = [threading.Thread(target=api_call, name="worker-%d" % i) for i in range(2)]
for w in ws: w.start()
time.sleep(0.6)
_appkit.ready()
for w in ws: w.join()
