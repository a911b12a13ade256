"""Hang: a report builder starts a worker process that should put its result on a
multiprocessing.Queue, but the worker fails before it puts anything (an exception, logged by
multiprocessing, and the process exits). The parent waits in results.get() forever."""
import multiprocessing
import time

from _appkit import ready


def build_report(results, region):
    totals = {"eu": 1}[region]  # KeyError for "us": the worker dies here
    results.put(totals)


def main():
    results = multiprocessing.Queue()
    worker = multiprocessing.Process(target=build_report, args=(results, "us"), name="report-us")
    worker.start()
    worker.join()
    ready()
    print(results.get())  # LINE:get


if __name__ == "__main__":
    main()
