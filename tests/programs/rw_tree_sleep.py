"""A sleeping tree (for signals sent to `pyhang run`): a parent starts a child (the same
interpreter, `child` argument); both sleep. Both keep the default SIGINT action (no
KeyboardInterrupt), so that a signal kills them the same way on every version. The parent prints
`CHILD <pid>` and then READY."""
import os
import signal
import subprocess
import sys
import time

from _appkit import ready


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.argv[1:] == ["child"]:
        os.write(1, b"up\n")  # its SIGINT action is the default one from now on
        while True:
            time.sleep(3600)
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "child"], stdout=subprocess.PIPE)
    child.stdout.readline()
    sys.stdout.write("CHILD %d\n" % child.pid)
    ready()
    child.wait()


if __name__ == "__main__":
    main()
