# A lease whose expiry is a threading.Timer armed with a helper function, not with the lock's
# own release: Timer(3600, expire_lease), and expire_lease() logs and releases. The holder of
# the lease waits for the index lock that the indexer holds while it waits for the lease.
# Healthy: the timer fires and the lease expires.
import threading, time
import _appkit


class LeaseManager:
    def __init__(self):
        self.lease = threading.Lock()
        self.timer = None

    def expire_in(self, seconds):
        self.timer = threading.Timer(seconds, self.expire_lease)
        self.timer.daemon = True
        self.timer.start()

    def expire_lease(self):
        print("lease expired", flush=True)
        self.lease.release()


leases = LeaseManager()
index = threading.Lock()


def owner():
    leases.lease.acquire()
    leases.expire_in(3600)
    time.sleep(0.3)
    with index:
        pass


def indexer():
    time.sleep(0.1)
    with index:
        time.sleep(0.1)
        with leases.lease:
            pass


ts = [threading.Thread(target=owner, name="owner"), threading.Thread(target=indexer, name="indexer")]
for t in ts:
    t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts:
    t.join()
