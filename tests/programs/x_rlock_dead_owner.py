"""Hang: an RLock taken twice (recursion count 2) by a thread that exited without releasing it."""
import threading

from _appkit import ready

registry_lock = threading.RLock()


def register():
    registry_lock.acquire()  # LINE:first_acquire
    registry_lock.acquire()  # LINE:second_acquire
    # BUG: returns without releasing either


def main():
    t = threading.Thread(target=register, name="registrar")
    t.start()
    t.join()
    ready()
    with registry_lock:  # LINE:main_with
        pass


if __name__ == "__main__":
    main()
