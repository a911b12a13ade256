"""Strings that are hard to render: a file name decoded with surrogateescape (as os.fsdecode
gives for a name that is not UTF-8), a lone surrogate, and invisible or non-printable
characters that Python's repr() escapes. The main thread blocks in odd() with them as locals.
"""
import os

from _blocking import HELD, ready


def odd(escaped):
    lone = "\ud800"
    nbsp = "a\xa0b"
    zero_width = "a\u200bb"
    next_line = "a\x85b"
    ready()
    HELD.acquire()  # LINE:odd
    return lone, nbsp, zero_width, next_line


if __name__ == "__main__":
    odd(os.fsdecode(b"caf\xe9.txt"))  # LINE:module
