"""Healthy: a risk report maps a slow pricing function over portfolios with a
ProcessPoolExecutor; each portfolio takes a long time. The parent waits in the map's result
iterator (future.result(), no timeout). Read without --children: not a deadlock."""
import concurrent.futures
import os

from _appkit import ready


def price(portfolio):
    os.nice(19)  # a batch job: it yields the CPU to anything else on the machine (19 is the most)
    value = 0
    for i in range(10 ** 12):
        value = (value + portfolio * i) % 1000003
    return portfolio, value


def main():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        results = pool.map(price, range(8))
        ready()
        for portfolio, value in results:  # LINE:map_next
            print(portfolio, value, flush=True)


if __name__ == "__main__":
    main()
