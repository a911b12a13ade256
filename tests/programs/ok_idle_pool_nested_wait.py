"""Healthy, idle: tasks wait with futures.wait() for sub-tasks on their own pool, which has room.

A 4-worker ThreadPoolExecutor runs two jobs; each submits a long sub-task (a sleep stands for an
upload) to the same pool and waits for it with concurrent.futures.wait(). The two sub-tasks
run on the two free workers: nested waits, but no starvation.
"""
import concurrent.futures
import threading
import time

from _appkit import ready

pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="sync")


def upload(n):
    time.sleep(1000)  # LINE:upload_sleep
    return n


def job(n):
    sub = pool.submit(upload, n)
    concurrent.futures.wait([sub])  # LINE:job_wait
    return n


def main():
    jobs = [pool.submit(job, n) for n in range(2)]
    threading.Timer(0.5, ready).start()
    concurrent.futures.wait(jobs)  # LINE:main_wait


if __name__ == "__main__":
    main()
