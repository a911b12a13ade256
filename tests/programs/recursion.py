"""The main thread 1000 calls deep in a recursive function, blocked at the bottom.

Frames, outermost first: <module>, then recurse(999), recurse(998), ... recurse(0): 1001 frames.
"""
import sys

from _blocking import HELD, ready

DEPTH = 1000


def recurse(depth):
    if depth == 0:
        ready()
        HELD.acquire()  # LINE:bottom
    return recurse(depth - 1)  # LINE:recurse


if __name__ == "__main__":
    sys.setrecursionlimit(DEPTH + 100)
    recurse(DEPTH - 1)  # LINE:module
