"""The smallest hung program: the main thread blocks in wait_here(). The tests copy it (with
_blocking.py) to unusual places, such as a directory whose name is not valid UTF-8.
"""
from _blocking import HELD, ready


def wait_here(reason):
    ready()
    HELD.acquire()  # LINE:wait


if __name__ == "__main__":
    wait_here("copied")  # LINE:module
