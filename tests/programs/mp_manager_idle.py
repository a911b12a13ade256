"""Control: a multiprocessing.Manager serving a dict and a lock, idle, while the parent sleeps:
not a deadlock."""
import multiprocessing
import os
import time

if __name__ == "__main__":
    with multiprocessing.Manager() as manager:
        settings = manager.dict(mode="idle")
        guard = manager.Lock()
        with guard:
            settings["mode"] = "sleeping"
        time.sleep(0.3)
        print(f"READY {os.getpid()}", flush=True)
        time.sleep(3600)
