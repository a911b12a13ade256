"""Healthy, idle: a job runner whose children wait for their live parent. A multiprocessing.Pool(2)
waits for work, and a multiprocessing.Process "uploader" is blocked in Queue.get() for the files
the parent will send; the parent sleeps before sending them. With the forkserver start method (the
default from 3.14) the tree also has the forkserver and the resource tracker. Each child read ALONE
(`pyhang remote CHILDPID`, no --children) waits for a process the report does not show: no
deadlock, and the verdict says which process can still wake it."""
import multiprocessing
import time

from _appkit import ready


def square(n):
    return n * n


def uploader(q):
    while True:
        path = q.get()  # LINE:get
        if path is None:
            return


def main():
    q = multiprocessing.Queue()
    up = multiprocessing.Process(target=uploader, args=(q,), name="uploader")
    up.start()
    pool = multiprocessing.Pool(2)
    pool.map(square, range(4))
    ready()
    time.sleep(3600)
    q.put("/tmp/report.pdf")


if __name__ == "__main__":
    main()
