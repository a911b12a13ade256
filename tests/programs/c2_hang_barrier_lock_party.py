"""Hang: a three-stage simulation step synchronised by threading.Barrier(3). "physics" updates the
world under world_lock and reaches the barrier without releasing it; "render" needs world_lock to
take its snapshot before it can reach the barrier; "audio" is at the barrier already. The main
thread joins the three. Every thread is blocked: the barrier waits for render, render for the lock
physics holds while it waits at the barrier."""
import threading
import time

from _appkit import ready

step_barrier = threading.Barrier(3)
world_lock = threading.Lock()
world = {"tick": 0, "bodies": [(0.0, 0.0)] * 8}


def physics():
    with world_lock:  # LINE:physics_with
        world["tick"] += 1
        world["bodies"] = [(x + 0.1, y - 0.1) for x, y in world["bodies"]]
        step_barrier.wait()  # LINE:physics_barrier


def render():
    time.sleep(0.2)
    with world_lock:  # LINE:render_with
        frame = dict(world)
    step_barrier.wait()  # LINE:render_barrier
    return frame


def audio():
    step_barrier.wait()  # LINE:audio_barrier


def main():
    stages = [threading.Thread(target=f, name=f.__name__) for f in (physics, render, audio)]
    for t in stages:
        t.start()
    time.sleep(0.6)
    ready()
    for t in stages:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()
