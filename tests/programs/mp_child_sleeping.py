"""Control: the parent waits on a child that sleeps: not a deadlock."""
import multiprocessing
import os
import time


def nap():
    time.sleep(3600)


if __name__ == "__main__":
    child = multiprocessing.Process(target=nap, name="napper")
    child.start()
    time.sleep(0.5)
    print(f"READY {os.getpid()}", flush=True)
    child.join()
