"""Two children take two multiprocessing locks in opposite order, with the start method given on
the command line (fork, spawn or forkserver); the parent joins the first."""
import multiprocessing
import os
import sys
import time


def transfer(first_lock, second_lock):
    with first_lock:  # LINE:first
        time.sleep(0.5)
        with second_lock:  # LINE:second
            pass


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    lock1, lock2 = ctx.Lock(), ctx.Lock()
    p1 = ctx.Process(target=transfer, args=(lock1, lock2), name="mover-1")
    p2 = ctx.Process(target=transfer, args=(lock2, lock1), name="mover-2")
    p1.start()
    p2.start()
    time.sleep(1.5)
    print(f"READY {os.getpid()}", flush=True)
    p1.join()  # LINE:join
    p2.join()
