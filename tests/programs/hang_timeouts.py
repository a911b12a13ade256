"""Not a deadlock: every blocked thread waits with a timeout (an hour).

Thread "holder" holds state_lock (`with`) while it waits in stop.wait(3600) (an Event);
"lock-waiter" waits in state_lock.acquire(timeout=3600); "cond-waiter" in changed.wait(3600)
(a Condition); "queue-waiter" in inbox.get(timeout=3600); the main thread in
holder.join(timeout=3600). Every wait ends by itself within the hour.
"""
import queue
import threading

from _hangkit import Rendezvous, ready, setup_logging

state_lock = threading.Lock()
stop = threading.Event()
changed = threading.Condition()
inbox = queue.Queue()


def hold_state(arrivals):
    with state_lock:  # LINE:holder_with
        arrivals.arrive()
        stop.wait(3600)  # LINE:holder_wait


def wait_for_lock(arrivals):
    arrivals.arrive()
    if state_lock.acquire(timeout=3600):  # LINE:lock_wait
        state_lock.release()


def wait_for_change(arrivals):
    with changed:
        arrivals.arrive()
        changed.wait(3600)  # LINE:cond_wait


def wait_for_mail(arrivals):
    arrivals.arrive()
    try:
        inbox.get(timeout=3600)  # LINE:queue_wait
    except queue.Empty:
        pass


if __name__ == "__main__":
    setup_logging()
    first = Rendezvous(1)
    holder = threading.Thread(target=hold_state, args=(first,), name="holder")
    holder.start()
    first.wait_all()
    arrivals = Rendezvous(3)
    threads = [threading.Thread(target=f, args=(arrivals,), name=n) for f, n in
               [(wait_for_lock, "lock-waiter"), (wait_for_change, "cond-waiter"), (wait_for_mail, "queue-waiter")]]
    for t in threads:
        t.start()
    arrivals.wait_all()
    ready()
    holder.join(timeout=3600)  # LINE:join
