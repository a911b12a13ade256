"""Healthy, busy: two processes take turns under a multiprocessing.Condition and a shared Value
(each waits until the other hands it the turn)."""
import multiprocessing
from _appkit import ready

def player(cond, turn, me):
    while True:
        with cond:
            while turn.value != me:
                cond.wait()
            turn.value = 1 - me
            cond.notify_all()

def main():
    cond = multiprocessing.Condition()
    turn = multiprocessing.Value("i", 0, lock=False)
    p = multiprocessing.Process(target=player, args=(cond, turn, 1), name="player-1", daemon=True)
    p.start()
    ready()
    player(cond, turn, 0)

if __name__ == "__main__":
    main()
