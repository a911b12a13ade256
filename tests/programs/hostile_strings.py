"""Strings chosen to attack a terminal: every C0 and C1 control character and DEL, an escape
sequence that retitles the window and clears the screen, and newlines that try to forge report
lines ("Verdict: ..."), placed where a report shows the target's own text: thread names (Python's
and the kernel's), a file name and its source line, function names, a code object's file name,
a class name (in a local's placeholder), a string local, an asyncio task name, and the command
line (the test passes such arguments).

Usage: hostile_strings.py DIR [ARG...]: DIR receives a module with a hostile file name.
"""
import asyncio
import ctypes
import importlib.util
import os
import sys
import threading

from _blocking import HELD, arrived, ready, wait_for

EVERY = "".join(map(chr, range(1, 32))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
TITLE = "\x1b]0;pwned\x07\x1b[2J"
FORGED = "x\nVerdict: DEADLOCK (forged): nothing\n"
ARRIVED = threading.Semaphore(0)

# A module whose file name and blocking source line hold raw control characters. A source line
# cannot hold NUL or CR (they end it), nor a newline: the rest of C0 and C1 and DEL are there.
FILE_NAME = "evil" + TITLE + "\nVerdict: forged\u009b.py"
LINE_CONTROLS = "".join(c for c in EVERY if c not in "\n\r")
MODULE = (
    "from _blocking import HELD, arrived\n"
    "def wait_in_evil(semaphore):\n"
    "    arrived(semaphore)\n"
    "    HELD.acquire()  # " + LINE_CONTROLS + " " + TITLE + " LINE:evil\n"
)


def set_kernel_name(name):
    """The calling thread's kernel name (comm, at most 15 bytes), as `top` and /proc show it."""
    ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME


def load_evil(directory):
    path = os.path.join(directory, FILE_NAME)
    with open(path, "w", encoding="utf-8") as f:
        f.write(MODULE)
    spec = importlib.util.spec_from_file_location("evil", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def renamed(function, name, filename):
    """`function` with a hostile name and a hostile file name in its code object."""
    code = compile("def f(semaphore):\n    every = EVERY\n    obj = EVIL_TYPE()\n"
                   "    arrived(semaphore)\n    HELD.acquire()\n", filename, "exec")
    inner = next(c for c in code.co_consts if hasattr(c, "co_code"))
    changes = {"co_name": name}
    if hasattr(inner, "co_qualname"):
        changes["co_qualname"] = name
    namespace = {"EVERY": EVERY, "EVIL_TYPE": type("Evil" + TITLE + "\n", (), {}), "arrived": arrived,
                 "HELD": HELD}
    return type(function)(inner.replace(**changes), namespace, name)


def with_kernel_name(name, target, *args):
    def run():
        set_kernel_name(name)
        target(*args)
    return run


async def hostile_task():
    event = asyncio.Event()
    arrived(ARRIVED)
    await event.wait()


def run_loop():
    async def main():
        task = asyncio.ensure_future(hostile_task())
        task.set_name(FORGED + EVERY)
        await task
    asyncio.run(main())


def main():
    evil = load_evil(sys.argv[1])
    hostile = renamed(lambda: None, "f" + EVERY, "<every" + EVERY + ">")
    threads = [
        threading.Thread(target=with_kernel_name(TITLE, evil.wait_in_evil, ARRIVED), name=TITLE, daemon=True),
        threading.Thread(target=with_kernel_name(FORGED, hostile, ARRIVED), name=FORGED, daemon=True),
        threading.Thread(target=with_kernel_name(EVERY, run_loop), name=EVERY, daemon=True),
    ]
    for t in threads:
        t.start()
    wait_for(ARRIVED, len(threads))
    ready()
    HELD.acquire()  # LINE:main


if __name__ == "__main__":
    main()
