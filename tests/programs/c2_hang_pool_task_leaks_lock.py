"""Hang: a thread-pool task leaks a lock. The thumbnail job takes the disk lock with acquire()
and returns early for an image it already has, without release(); the pool's worker thread
lives on, idle. The main thread's cleanup then waits for the disk lock forever."""
import concurrent.futures
import threading

from _appkit import ready

disk_lock = threading.Lock()
cache = {"logo.png": b"..."}


def make_thumbnail(name):
    disk_lock.acquire()  # LINE:job_acquire
    if name in cache:
        return cache[name]  # BUG: the lock stays held
    data = name.encode() * 10
    cache[name] = data
    disk_lock.release()
    return data


def cleanup():
    with disk_lock:  # LINE:cleanup_with
        cache.clear()


def main():
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbs")
    for name in ("a.png", "logo.png"):
        pool.submit(make_thumbnail, name).result()
    ready()
    cleanup()  # LINE:main_cleanup


if __name__ == "__main__":
    main()
