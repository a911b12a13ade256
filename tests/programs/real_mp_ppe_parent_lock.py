"""Hang across processes: an exporter holds the output file's multiprocessing.Lock while it
waits in Future.result() for a ProcessPoolExecutor job that needs that lock to append its
rows."""
import concurrent.futures
import multiprocessing

from _appkit import ready

file_lock = None


def init(lock):
    global file_lock
    file_lock = lock


def append_rows(rows):
    with file_lock:  # LINE:job_with
        return len(rows)


def main():
    lock = multiprocessing.Lock()
    with concurrent.futures.ProcessPoolExecutor(1, initializer=init, initargs=(lock,)) as executor:
        executor.submit(int).result()  # the worker is up
        with lock:  # LINE:parent_with
            future = executor.submit(append_rows, [1, 2, 3])
            ready()
            print(future.result())  # LINE:parent_result


if __name__ == "__main__":
    main()
