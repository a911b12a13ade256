"""Hang: the parent holds a multiprocessing.Lock and joins the child that waits for it. The
exporter takes the export lock with acquire() to prepare the shared file, starts the writer
process (fork start method), and joins it before releasing: the writer waits in `with lock:`.
The forked child's stack still shows the parent's main() frames under Popen._launch, with the
lock.acquire() line: those frames are the parent's at fork time, the child holds nothing."""
import multiprocessing as mp
import time

from _appkit import ready


def writer(lock, path):
    with lock:  # LINE:writer_with
        with open(path, "a") as f:
            f.write("child done\n")


def main():
    ctx = mp.get_context("fork")
    lock = ctx.Lock()
    lock.acquire()  # LINE:main_acquire
    p = ctx.Process(target=writer, args=(lock, "/dev/null"), name="writer-child")
    p.start()
    time.sleep(0.5)
    ready()
    p.join()  # LINE:main_join
    lock.release()


if __name__ == "__main__":
    main()
