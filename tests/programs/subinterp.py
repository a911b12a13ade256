"""A sub-interpreter blocked in Python code: thread "sub-runner" runs SUB_CODE in a new
sub-interpreter (run_string, so the code's file name is "<string>"); the code prints READY and
blocks. The main thread (main interpreter) blocks as well.

The OS thread "sub-runner" has two Python thread states: one in the main interpreter (its
threading frames and run_in_subinterpreter, waiting in the C function run_string) and one in
the sub-interpreter (<module> -> blocked_in_sub).
"""
import threading

try:
    import _interpreters as interpreters  # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.8 - 3.12

from _blocking import HELD

SUB_CODE = """\
import _thread
import os


def blocked_in_sub(word):
    lock = _thread.allocate_lock()
    lock.acquire()
    print(f"READY {os.getpid()}", flush=True)
    lock.acquire()  # LINE:sub_blocked


blocked_in_sub("sub")  # LINE:sub_module
"""


def run_in_subinterpreter(interp_id):
    interpreters.run_string(interp_id, SUB_CODE)  # LINE:run_string


if __name__ == "__main__":
    interp_id = interpreters.create()
    threading.Thread(target=run_in_subinterpreter, args=(interp_id,), name="sub-runner").start()
    HELD.acquire()  # LINE:main
