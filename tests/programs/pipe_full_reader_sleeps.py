"""Control: a child is blocked writing into a full pipe, but the parent that reads it is only
sleeping (it will read later): not a deadlock."""
import os
import subprocess
import time

if __name__ == "__main__":
    child = subprocess.Popen(["head", "-c", "1000000", "/dev/zero"], stdout=subprocess.PIPE)
    print(f"READY {os.getpid()}", flush=True)
    time.sleep(3600)
    print(len(child.stdout.read()))
