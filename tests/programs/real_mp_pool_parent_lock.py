"""Hang across processes: the parent holds the ledger's multiprocessing.Lock while it waits with
AsyncResult.get() for a Pool job that needs the same lock to post its entry."""
import multiprocessing

from _appkit import ready

ledger_lock = None


def init(lock):
    global ledger_lock
    ledger_lock = lock


def post_entry(amount):
    with ledger_lock:  # LINE:job_with
        return amount * 2


def main():
    lock = multiprocessing.Lock()
    with multiprocessing.Pool(1, initializer=init, initargs=(lock,)) as pool:
        pool.apply(int)  # the worker is up
        with lock:  # LINE:parent_with
            result = pool.apply_async(post_entry, (100,))
            ready()
            print(result.get())  # LINE:parent_get


if __name__ == "__main__":
    main()
