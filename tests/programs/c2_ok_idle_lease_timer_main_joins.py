"""Healthy, idle: a lease. main takes the lease lock, hands its release() to a threading.Timer that
fires in 15 minutes, starts a worker that waits for the lease, and joins it. A Lock taken with
acquire() has no owner: the timer thread will release it. Not a deadlock."""
import threading
from _appkit import ready
lease = threading.Lock()
def worker():
    with lease:
        print("worker ran", flush=True)
def main():
    lease.acquire()
    t = threading.Timer(900.0, lease.release)
    t.name = "lease-expiry"
    t.start()
    w = threading.Thread(target=worker, name="worker")
    w.start()
    ready()
    w.join()
if __name__ == "__main__":
    main()
