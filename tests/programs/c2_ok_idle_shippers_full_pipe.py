"""Healthy (waiting for its consumer): three "shipper" threads send batches of records to a
consumer process through its stdin (a buffered pipe, shared by the threads). The consumer is slow
to start reading (here: it never does within the test), so the pipe is full: one shipper is blocked
in the write, holding the stream's internal lock, and the two others wait for that lock. The
consumer can still read at any moment and everything moves on: not a deadlock.
Right verdict: no deadlock (the write waits for a child process not in this report)."""
import subprocess
import threading

from _appkit import ready


consumer = subprocess.Popen(["sleep", "600"], stdin=subprocess.PIPE)  # a consumer that reads later
feed = consumer.stdin  # a BufferedWriter: its C lock is taken around every write


def ship(name, started):
    record = ("%s " % name).encode() * 4096 + b"\n"
    started.set()
    while True:
        feed.write(record)  # LINE:ship_write
        feed.flush()


def main():
    threads = []
    for i in range(3):
        started = threading.Event()
        t = threading.Thread(target=ship, args=("shipper-%d" % i, started), name="shipper-%d" % i, daemon=True)
        t.start()
        started.wait()
        threads.append(t)
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
