"""Control: the parent joins a child that keeps computing (in short bursts): not a deadlock."""
import multiprocessing
import os
import time


def crunch():
    total = 0
    while True:
        total += sum(range(20_000))
        time.sleep(0.02)


if __name__ == "__main__":
    child = multiprocessing.Process(target=crunch, name="cruncher")
    child.start()
    time.sleep(0.5)
    print(f"READY {os.getpid()}", flush=True)
    child.join()
