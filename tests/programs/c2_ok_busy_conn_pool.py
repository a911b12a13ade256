"""Healthy, busy: six request workers share a pool of two connections (a queue.Queue) at full
speed, checking one out, using it briefly and returning it, and count requests under a lock.
A snapshot often catches a worker woken in Condition.wait() inside `with self.not_empty:`,
re-taking the queue's mutex (which Condition.wait released): it does not hold that mutex."""
import queue
import threading
import time

from _appkit import ready

connections = queue.Queue()
for n in range(2):
    connections.put("conn-%d" % n)
stats_lock = threading.Lock()
served = 0


def handle_requests():
    global served
    while True:
        conn = connections.get()  # LINE:checkout
        try:
            sum(range(200))
        finally:
            connections.put(conn)  # LINE:checkin
        with stats_lock:
            served += 1


def main():
    for n in range(6):
        threading.Thread(target=handle_requests, name="worker-%d" % n, daemon=True).start()
    time.sleep(0.3)
    ready()
    while True:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
