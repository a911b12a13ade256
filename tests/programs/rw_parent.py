"""A parent for `pyhang run` tests: runs `python CHILD ARGS...` (the same interpreter) and waits
for it, then exits with its status. Under `sh -c`, the child is the tree's grandchild."""
import subprocess
import sys


def main():
    child = subprocess.Popen([sys.executable] + sys.argv[1:])
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
