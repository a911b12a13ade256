"""Two children take two multiprocessing.Manager locks in opposite order: `mover-1` holds `books`
and waits for `ledger`, `mover-2` holds `ledger` and waits for `books` (the locks live in the
manager's server; each child waits in its proxy's acquire). The parent joins the first child."""
import multiprocessing
import os
import time


def move(first, second, started):
    with first:  # LINE:hold
        started.release()
        time.sleep(0.5)
        with second:  # LINE:wait
            pass


if __name__ == "__main__":
    with multiprocessing.Manager() as manager:
        books, ledger = manager.Lock(), manager.Lock()
        started = multiprocessing.Semaphore(0)
        movers = [multiprocessing.Process(target=move, args=(books, ledger, started), name="mover-1"),
                  multiprocessing.Process(target=move, args=(ledger, books, started), name="mover-2")]
        for m in movers:
            m.start()
        started.acquire()
        started.acquire()
        time.sleep(1.0)
        print(f"READY {os.getpid()}", flush=True)
        movers[0].join()  # LINE:join
