"""Code shapes pyhang must name correctly: a generator and coroutines being executed, a lambda,
nested functions with cell and free variables, methods, a staticmethod, a classmethod and a
method of a nested class, an except handler, a generator expression and a list comprehension,
each blocked in its own named thread; the main thread blocks too.

Every blocked line carries a `# LINE:<name>` marker that the tests look up.
"""
import asyncio
import threading

from _blocking import HELD, arrived, asyncio_run, nullcontext, ready, wait_for

STARTED = threading.Semaphore(0)


# --- a generator whose body blocks, run by a for loop --------------------------------------
def numbers(limit):
    yield 1
    arrived(STARTED)
    HELD.acquire()  # LINE:gen_body
    yield limit


def consume_generator():
    total = 0
    for n in numbers(10):  # LINE:gen_loop
        total += n


# --- coroutines driven by hand with send() ---------------------------------------------------
async def coro_leaf(x):
    arrived(STARTED)
    HELD.acquire()  # LINE:coro_leaf


async def coro_outer():
    await coro_leaf(42)  # LINE:coro_outer


def drive_coroutine():
    c = coro_outer()
    c.send(None)  # LINE:coro_drive


# --- a coroutine run by asyncio that blocks synchronously ------------------------------------
async def async_inner(tag):
    arrived(STARTED)
    HELD.acquire()  # LINE:async_inner


async def async_main():
    await async_inner("via-asyncio")  # LINE:async_main


def run_asyncio():
    asyncio_run()(async_main())  # LINE:asyncio_run


# --- a lambda (with a free variable) ---------------------------------------------------------
def make_lambda(tag):
    return lambda: arrived(STARTED) or HELD.acquire() or tag  # LINE:lambda


# --- nested functions: cell and free variables -----------------------------------------------
def outer():
    label = "outer-label"  # a cell variable: inner() reads it
    plain = [1, 2]

    def middle(step):
        total = step * 2  # a cell variable of middle, a free variable of inner

        def inner():
            mine = "inner-local"
            arrived(STARTED)
            HELD.acquire()  # LINE:inner
            return label, total, mine

        return inner()  # LINE:middle

    return middle(5)  # LINE:outer


# --- methods ----------------------------------------------------------------------------------
class Service:
    class Inner:
        def deep(self, request):
            arrived(STARTED)
            HELD.acquire()  # LINE:deep

    def handle(self, request):
        return Service.helper(request)  # LINE:handle

    @staticmethod
    def helper(request):
        return Service.build(request)  # LINE:static

    @classmethod
    def build(cls, request):
        return cls.Inner().deep(request)  # LINE:classmethod


# --- blocked inside an except handler, in a with block, in a loop -----------------------------
def in_handler():
    for attempt in range(3):
        with nullcontext("ctx") as ctx:
            try:
                raise ValueError("boom")
            except ValueError as error:
                arrived(STARTED)
                HELD.acquire()  # LINE:handler
            finally:
                pass


# --- comprehensions: a generator expression (always its own frame) and a list comprehension
# (its own frame before 3.12, inlined since, PEP 709) ---------------------------------------
def wait_once(i):
    arrived(STARTED)
    HELD.acquire()  # LINE:wait_once


def in_genexpr():
    return sum(wait_once(i) or 0 for i in range(3))  # LINE:genexpr


def in_listcomp():
    return [wait_once(j) for j in range(1)]  # LINE:listcomp


THREADS = [
    ("generator", consume_generator, ()),
    ("coroutine", drive_coroutine, ()),
    ("asyncio", run_asyncio, ()),
    ("lambda", make_lambda("tagged"), ()),
    ("closure", outer, ()),
    ("methods", Service().handle, ("req-1",)),
    ("handler", in_handler, ()),
    ("genexpr", in_genexpr, ()),
    ("listcomp", in_listcomp, ()),
]


def main():
    threads = [threading.Thread(target=f, args=a, name=n) for n, f, a in THREADS]
    for t in threads:
        t.start()
    wait_for(STARTED, len(threads))
    ready()
    HELD.acquire()  # LINE:main


if __name__ == "__main__":
    main()  # LINE:module
