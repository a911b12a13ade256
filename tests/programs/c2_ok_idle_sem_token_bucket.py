# A rate limiter built on a plain Semaphore used as a token bucket: each API call takes a token
# ("with budget:"), and a call that fans out takes another one for its sub-call. A refill thread
# adds tokens every hour (budget.release()). Right now both workers hold a token and wait for
# one more; the refiller sleeps. Healthy: the refill comes.
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
def refill():
    while True:
        time.sleep(3600)
        for _ in range(2):
            budget.release()
threading.Thread(target=refill, name="refill", daemon=True).start()
ws = [threading.Thread(target=api_call, name="worker-%d" % i) for i in range(2)]
for w in ws: w.start()
time.sleep(0.6)
_appkit.ready()
for w in ws: w.join()
