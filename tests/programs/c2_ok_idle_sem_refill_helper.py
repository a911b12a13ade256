# An API token bucket (a Semaphore) topped up by a refill thread through a helper: refiller()
# sleeps for the quota period and calls top_up(), which releases permits. Both workers hold a
# token and wait for a second one for their nested sub-call. Healthy: the refill comes.
import threading, time
import _appkit

budget = threading.Semaphore(2)


def top_up(n):
    for _ in range(n):
        budget.release()


def refiller():
    while True:
        time.sleep(3600)  # LINE:refill_sleep
        top_up(2)


def sub_call():
    with budget:
        pass


def api_call():
    with budget:
        time.sleep(0.2)
        sub_call()


threading.Thread(target=refiller, name="refiller", daemon=True).start()
ws = [threading.Thread(target=api_call, name="worker-%d" % i) for i in range(2)]
for w in ws:
    w.start()
time.sleep(0.6)
_appkit.ready()
for w in ws:
    w.join()
