"""--native: four CPU-bound threads share the GIL. At any moment one of them runs
Python code and the others wait for the GIL in CPython's take_gil(), which the native stack shows
("Waiting for the GIL"). Not a hang: the program spins until it is killed.
"""
import threading

from _hangkit import ready


def spin():
    n = 0
    while True:
        n += 1  # LINE:spin


def main():
    spinners = [threading.Thread(target=spin, name=f"spinner-{i}", daemon=True) for i in range(4)]
    for s in spinners:
        s.start()
    ready()
    spinners[0].join()  # LINE:join


if __name__ == "__main__":
    main()
