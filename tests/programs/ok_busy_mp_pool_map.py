"""Healthy, busy: a report generator maps chunks of work onto a multiprocessing.Pool of 2 in a
loop (map, aggregate, repeat). The parent is mostly in Pool.map waiting for results the workers
are computing; the workers go back and forth between their task queue and the computation."""
import multiprocessing

from _appkit import ready


def score(n):
    return sum((n * i) % 7 for i in range(3000))


def main():
    with multiprocessing.Pool(2) as pool:
        first = True
        while True:
            totals = pool.map(score, range(16), chunksize=2)  # LINE:pool_map
            if first:
                first = False
                ready()
            assert len(totals) == 16


if __name__ == "__main__":
    main()
