"""Healthy, idle: a warm-up gate. main takes the `warm` lock, starts a "warmup" thread that loads
caches (a 15-minute sleep stands for it) and then releases `warm`; main joins the request worker,
which waits for `warm`. Not a deadlock: the warmup thread will release the lock."""
import threading, time
from _appkit import ready
warm = threading.Lock()
def warmup():
    time.sleep(900)
    warm.release()
def worker():
    with warm:
        print("served", flush=True)
def main():
    warm.acquire()
    threading.Thread(target=warmup, name="warmup", daemon=True).start()
    w = threading.Thread(target=worker, name="worker")
    w.start()
    ready()
    w.join()
if __name__ == "__main__":
    main()
