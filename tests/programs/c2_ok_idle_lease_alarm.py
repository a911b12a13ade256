"""Healthy, idle: a maintenance lease ended by SIGALRM. The coordinator takes the shard lock with
acquire(), arms signal.alarm() for the lease's end (the handler releases the lock: a plain Lock
may be released from anywhere), and waits for the migrator's acknowledgement on a queue (no
timeout). The migrator waits for the shard lock. Every thread waits, but the alarm will fire:
its handler releases the lock, the migrator acknowledges. Not a deadlock."""
import queue
import signal
import threading

from _appkit import ready

shard_lock = threading.Lock()
acks = queue.Queue()


def on_lease_end(signum, frame):
    shard_lock.release()


def migrate():
    with shard_lock:  # LINE:migrate_with
        acks.put("migrated")


def coordinate(lease_seconds):
    signal.signal(signal.SIGALRM, on_lease_end)
    shard_lock.acquire()  # LINE:lease_acquire (released by the alarm's handler)
    signal.alarm(lease_seconds)
    threading.Thread(target=migrate, name="migrator").start()
    ready()
    return acks.get()  # LINE:coordinate_get


if __name__ == "__main__":
    print(coordinate(3600))
