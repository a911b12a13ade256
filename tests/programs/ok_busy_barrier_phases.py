"""Healthy, busy: a particle simulation in phases. 4 cell threads compute their slice, then meet
at a Barrier (the last one to arrive runs the action that swaps buffers), and loop. At any moment
some cells wait at the barrier for the others, who are still computing."""
import threading

from _appkit import ready

CELLS = 4
state = [[float(i) for i in range(400)] for _ in range(2)]
phase = [0]


def swap():
    state.reverse()
    phase[0] += 1


barrier = threading.Barrier(CELLS, action=swap)


def cell(index):
    width = len(state[0]) // CELLS
    while True:
        src, dst = state
        for i in range(index * width, (index + 1) * width):
            dst[i] = (src[i - 1] + src[i] + src[(i + 1) % len(src)]) / 3.0
        barrier.wait()  # LINE:cell_barrier


if __name__ == "__main__":
    for i in range(CELLS):
        threading.Thread(target=cell, args=(i,), name="cell-%d" % i, daemon=True).start()
    ready()
    threading.Event().wait()
