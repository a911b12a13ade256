"""Hang: a plain Lock held by a thread that has exited. The log rotator takes the file lock with
acquire() and returns early (without release) when the log is still small; two writer threads
then wait for the lock forever, and the main thread joins them."""
import threading
import time

from _appkit import ready


class RotatingLog:
    def __init__(self, limit):
        self.lock = threading.Lock()
        self.lines = []
        self.limit = limit
        self.rotations = 0

    def rotate(self):
        self.lock.acquire()  # LINE:rotate_acquire
        if len(self.lines) < self.limit:
            return  # BUG: the lock stays held
        self.rotations += 1
        del self.lines[:]
        self.lock.release()

    def write(self, line):
        with self.lock:  # LINE:write_with
            self.lines.append(line)


def main():
    log = RotatingLog(limit=1000)
    rotator = threading.Thread(target=log.rotate, name="rotator")
    rotator.start()
    rotator.join()
    time.sleep(0.2)  # the service starts its listeners; the rotator's thread is gone by then
    writers = [threading.Thread(target=log.write, args=("line %d" % i,), name="writer-%d" % i) for i in range(2)]
    for w in writers:
        w.start()
    ready()
    for w in writers:
        w.join()  # LINE:main_join


if __name__ == "__main__":
    main()
