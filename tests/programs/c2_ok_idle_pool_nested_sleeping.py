"""Healthy, idle: a nested submit that looks like pool starvation but is not. The report pool
has 2 workers: one runs the nightly backup (a long sleep stands for the transfer), the other
runs build_report, which submits its chart to the same pool and waits for it; the chart is
queued behind the backup. The backup will end, the chart will run. Not a deadlock."""
import concurrent.futures
import time

from _appkit import ready

pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="reports")


def backup():
    time.sleep(3600)  # LINE:backup_sleep
    return "backup done"


def chart(name):
    return "chart of " + name


def build_report(name):
    inner = pool.submit(chart, name)
    return name, inner.result()  # LINE:inner_result


def main():
    backup_future = pool.submit(backup)
    time.sleep(0.1)
    report = pool.submit(build_report, "Q3")
    ready()
    print(report.result())  # LINE:main_result
    print(backup_future.result())


if __name__ == "__main__":
    main()
