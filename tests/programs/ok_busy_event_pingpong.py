"""Healthy, busy: a heartbeat between a "leader" and a "follower" thread with two Events. Each
waits (no timeout) for its event, clears it and sets the other's, as fast as they can."""
import threading

from _appkit import ready

ping = threading.Event()
pong = threading.Event()
rounds = [0]


def leader():
    while True:
        ping.set()
        pong.wait()  # LINE:leader_wait
        pong.clear()
        rounds[0] += 1


def follower():
    while True:
        ping.wait()  # LINE:follower_wait
        ping.clear()
        pong.set()


if __name__ == "__main__":
    threading.Thread(target=follower, name="follower", daemon=True).start()
    threading.Thread(target=leader, name="leader", daemon=True).start()
    ready()
    threading.Event().wait()
