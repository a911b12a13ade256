"""Hang: a parent and its child each wait for the other's multiprocessing.Event before setting
their own (a handshake written in the wrong order on both sides)."""
import multiprocessing
import time

from _appkit import ready


def child(parent_ready, child_ready):
    parent_ready.wait()  # LINE:child_wait
    child_ready.set()


def main():
    parent_ready = multiprocessing.Event()
    child_ready = multiprocessing.Event()
    p = multiprocessing.Process(target=child, args=(parent_ready, child_ready), name="handshake-child")
    p.start()
    time.sleep(0.5)
    ready()
    child_ready.wait()  # LINE:parent_wait
    parent_ready.set()
    p.join()


if __name__ == "__main__":
    main()
