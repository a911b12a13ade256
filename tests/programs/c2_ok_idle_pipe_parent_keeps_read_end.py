"""Healthy, idle: the parent hands the read end of an os.pipe() to a child (pass_fds) that
sleeps 10 minutes before it drains it, but forgets to close its own copy of the read end. The parent
writes 1 MB and blocks on the full pipe until the child reads. Not a deadlock."""
import os, subprocess, sys, threading
from _appkit import ready

def main():
    r, w = os.pipe()
    child = subprocess.Popen([sys.executable, "-c",
        "import os,sys,time\ntime.sleep(600)\nr=int(sys.argv[1])\nwhile os.read(r,65536): pass", str(r)],
        pass_fds=[r])
    threading.Timer(1.0, ready).start()
    os.write(w, b"w" * (1 << 20))  # LINE:write
    os.close(w)
    child.wait()

if __name__ == "__main__":
    main()
