# Two stations, each with its own `busy` lease. A maintenance thread sleeps and will release the
# *south* station's lease; the cycle is on the *north* one: the scheduler took north.busy with
# acquire() and waits for db, the reporter holds db and waits for north.busy. Nothing will
# release north.busy: a real deadlock, although a `busy.release()` is about to run.
import threading, time
import _appkit


class Station:
    def __init__(self, name):
        self.name = name
        self.busy = threading.Lock()


north = Station("north")
south = Station("south")
db = threading.Lock()


def south_maintenance():
    south.busy.acquire()
    while True:
        time.sleep(3600)
        south.busy.release()
        south.busy.acquire()


def scheduler():
    north.busy.acquire()  # LINE:sched_acquire
    time.sleep(0.3)
    with db:  # LINE:sched_db
        pass


def reporter():
    time.sleep(0.1)
    with db:  # LINE:rep_db
        time.sleep(0.1)
        with north.busy:  # LINE:rep_busy
            pass


threading.Thread(target=south_maintenance, name="south-maintenance", daemon=True).start()
ts = [threading.Thread(target=scheduler, name="scheduler"), threading.Thread(target=reporter, name="reporter")]
for t in ts:
    t.start()
time.sleep(0.8)
_appkit.ready()
for t in ts:
    t.join()
