"""Healthy, idle: main holds `serving` (a plain Lock taken with acquire()) and joins the request
threads that wait for it; the SIGUSR1 handler, which runs in the main thread even while it joins,
releases it. Not a deadlock: a signal opens it."""
import signal, threading
from _appkit import ready
serving = threading.Lock()
def on_usr1(signum, frame):
    if serving.locked():
        serving.release()
def handle(i):
    with serving:
        print("served", i, flush=True)
def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    serving.acquire()
    ts = [threading.Thread(target=handle, args=(i,), name="request-%d" % i) for i in range(2)]
    for t in ts:
        t.start()
    ready()
    for t in ts:
        t.join()
if __name__ == "__main__":
    main()
