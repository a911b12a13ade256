"""Healthy, idle: a cron-like scheduler whose every thread sleeps for an hour (time.sleep)."""
import threading
import time

from _appkit import ready


def hourly(name):
    while True:
        time.sleep(3600)  # LINE:thread_sleep


def main():
    for name in ("rotate-logs", "vacuum-db"):
        threading.Thread(target=hourly, args=(name,), name=name, daemon=True).start()
    ready()
    while True:
        time.sleep(3600)  # LINE:main_sleep


if __name__ == "__main__":
    main()
