"""Control: the parent reads a talkative child with communicate() while the child sleeps before
exiting: not a deadlock."""
import os
import subprocess
import sys

if __name__ == "__main__":
    child = subprocess.Popen([sys.executable, "-c", "import sys, time\nsys.stdout.write('x' * 1000000)\nsys.stdout.flush()\ntime.sleep(3600)\n"],
                             stdout=subprocess.PIPE)
    print(f"READY {os.getpid()}", flush=True)
    out, _ = child.communicate()
