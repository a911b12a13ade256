"""The main thread has returned from the program and waits in threading._shutdown for a
non-daemon thread ("straggler") that never ends. The straggler prints READY once the main
thread has entered _shutdown (joining the main thread returns only then).
"""
import threading

from _blocking import HELD, ready


def straggler():
    threading.main_thread().join()  # returns once the main thread is in threading._shutdown
    ready()
    HELD.acquire()  # LINE:straggler


def main():
    threading.Thread(target=straggler, name="straggler").start()


if __name__ == "__main__":
    main()
