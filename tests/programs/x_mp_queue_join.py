"""Hang: the parent joins a child before reading the multiprocessing.Queue the child filled: the
child's feeder thread waits for room in the full pipe, so the child never exits."""
import multiprocessing

from _appkit import ready


def produce(results):
    results.put(b"x" * (1 << 20))  # more than a pipe holds


def main():
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=produce, args=(results,), name="producer")
    child.start()
    ready()
    child.join()  # LINE:parent_join
    print(len(results.get()))


if __name__ == "__main__":
    main()
