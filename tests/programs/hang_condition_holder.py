"""Who really holds a Condition's lock: not the thread that waits in Condition.wait().

`inventory.changed` is a threading.Condition. Thread "restock-listener" waits in
inventory.changed.wait() inside `with inventory.changed:` (wait() has released the lock).
Thread "auditor" (started first) then takes inventory.changed (`with`) and waits for an approval
Event that is never set. Thread "shipper" waits to enter `with inventory.changed:` - the lock is held by the
auditor, not by the listener. The main thread waits in join() for the shipper: every thread is
blocked.
"""
import threading

from _hangkit import Rendezvous, ready, setup_logging


class Inventory:
    def __init__(self):
        self.changed = threading.Condition()
        self.items = {"widget": 0}
        self.approved = threading.Event()

    def wait_for_restock(self, arrivals):
        with self.changed:  # LINE:listener_with
            arrivals.arrive()
            while self.items["widget"] == 0:
                self.changed.wait()  # LINE:listener_wait

    def audit(self, go, arrivals):
        go.wait()
        with self.changed:  # LINE:auditor_hold
            arrivals.arrive()
            self.approved.wait()  # LINE:auditor_wait

    def ship(self, arrivals):
        arrivals.arrive()
        with self.changed:  # LINE:shipper_wait
            self.items["widget"] -= 1


if __name__ == "__main__":
    setup_logging()
    inventory = Inventory()
    go = threading.Event()
    audited = Rendezvous(1)
    auditor = threading.Thread(target=inventory.audit, args=(go, audited), name="auditor")
    auditor.start()
    listening = Rendezvous(1)
    listener = threading.Thread(target=inventory.wait_for_restock, args=(listening,), name="restock-listener")
    listener.start()
    listening.wait_all()
    go.set()  # the auditor takes the lock once the listener has released it in wait()
    audited.wait_all()
    arrivals = Rendezvous(1)
    shipper = threading.Thread(target=inventory.ship, args=(arrivals,), name="shipper")
    shipper.start()
    arrivals.wait_all()
    ready()
    shipper.join()  # LINE:join
