"""Healthy, busy: a job runner that starts a short-lived process per job and joins it (process
churn). The parent is mostly in Process.join() on a child that is starting, working or exiting."""
import multiprocessing

from _appkit import ready


def job(n):
    sum(i * i for i in range(5000 + n))


def main():
    n = 0
    while True:
        n += 1
        p = multiprocessing.Process(target=job, args=(n,), name="job-%d" % n)
        p.start()
        p.join()  # LINE:parent_join
        if n == 3:
            ready()


if __name__ == "__main__":
    main()
