"""Healthy, busy: the parent talks line by line to a Python child over its stdin and stdout
pipes (write a line, read the answer)."""
import subprocess, sys
from _appkit import ready

CHILD = "import sys\nfor line in sys.stdin:\n    sys.stdout.write(line.upper())\n    sys.stdout.flush()\n"

def main():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             bufsize=0)
    ready()
    n = 0
    while True:
        child.stdin.write(b"line %d\n" % n)
        child.stdout.readline()
        n += 1

if __name__ == "__main__":
    main()
