"""Not a deadlock: two threads busy computing (they never sleep), the main thread joins them.

Threads "cruncher-1" and "cruncher-2" search for primes forever, using the CPU; the main thread
waits in join() for cruncher-1. The program is slow, not stuck: a thread is always running.
This program never falls asleep, so tests start it without waiting for its threads to sleep.
"""
import threading

from _hangkit import ready


def is_prime(n):
    if n < 2:
        return False
    k = 2
    while k * k <= n:
        if n % k == 0:
            return False
        k += 1
    return True


def crunch(start):
    found = 0
    n = start
    while True:
        if is_prime(n):  # LINE:crunch
            found += 1
        n += 1


if __name__ == "__main__":
    crunchers = [threading.Thread(target=crunch, args=(10 ** 6 * n,), name=f"cruncher-{n}") for n in (1, 2)]
    for c in crunchers:
        c.start()
    ready()
    for c in crunchers:
        c.join()  # LINE:join
