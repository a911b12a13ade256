"""Hang: a BoundedSemaphore(3) whose permits leaked. Three downloads raise between acquire()
and release(), so every permit is gone; the next download waits forever for a permit that no
live thread holds."""
import threading

from _appkit import ready

connection_slots = threading.BoundedSemaphore(3)


def download(url):
    connection_slots.acquire()  # LINE:leak_acquire
    if url.endswith(".bad"):
        raise IOError("connection reset: " + url)
    connection_slots.release()


def guarded(url):
    try:
        download(url)
    except IOError:
        pass


def main():
    for i in range(3):
        t = threading.Thread(target=guarded, args=("http://example/%d.bad" % i,), name="download-%d" % i)
        t.start()
        t.join()
    ready()
    download("http://example/ok")  # LINE:main_download


if __name__ == "__main__":
    main()
