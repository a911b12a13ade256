"""Healthy, idle: a session store whose expiry is a threading.Timer set an hour ahead; the main
thread joins the timer thread (it ends when the timer fires)."""
import threading

from _appkit import ready

sessions = {"alice": "token-1"}


def expire():
    sessions.clear()


def main():
    timer = threading.Timer(3600.0, expire)
    timer.name = "session-expiry"
    timer.start()
    ready()
    timer.join()  # LINE:main_join


if __name__ == "__main__":
    main()
