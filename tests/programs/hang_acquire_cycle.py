"""Two movers take the same two plain Locks in opposite order with acquire() (locks passed as
arguments, released in finally blocks).

mover-1 holds shelf_lock and waits for depot_lock; mover-2 holds depot_lock and waits for
shelf_lock: a lock-order cycle. Locks taken with acquire() leave no `with` block on the stack.

Without arguments the main thread waits in join() for mover-1 (every thread is blocked); with
`--monitor` the main thread instead wakes up every half second to log a heartbeat, like a
service's health loop (the cycle is still a deadlock).
"""
import logging
import sys
import threading
import time

from _hangkit import Rendezvous, ready, setup_logging

log = logging.getLogger("warehouse")

shelf_lock = threading.Lock()
depot_lock = threading.Lock()


def move_stock(src_lock, dst_lock, rendezvous, crates):
    src_lock.acquire()  # LINE:hold
    try:
        rendezvous.meet()
        dst_lock.acquire()  # LINE:wait
        try:
            log.info("moved %d crates", crates)
        finally:
            dst_lock.release()
    finally:
        src_lock.release()


def main():
    setup_logging()
    rendezvous = Rendezvous(2)
    movers = [
        threading.Thread(target=move_stock, args=(shelf_lock, depot_lock, rendezvous, 5), name="mover-1"),
        threading.Thread(target=move_stock, args=(depot_lock, shelf_lock, rendezvous, 7), name="mover-2"),
    ]
    for mover in movers:
        mover.start()
    rendezvous.wait_all()
    ready()
    if "--monitor" in sys.argv:
        while True:
            time.sleep(0.5)  # LINE:monitor
            log.debug("movers alive: %s", [m.is_alive() for m in movers])
    for mover in movers:
        mover.join()  # LINE:join


if __name__ == "__main__":
    main()
