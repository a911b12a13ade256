"""Deadlock (the warning on subprocess.Popen.wait): the parent waits for a child started with
stdout=PIPE, and the child is blocked writing more than the pipe holds. Argument: "head" (the child
is head(1), not Python) or "python" (the child is this interpreter printing)."""
import os
import subprocess
import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["python"]:
        argv = [sys.executable, "-c", "import os\nos.write(1, b'x' * 1000000)\n"]
    else:
        argv = ["head", "-c", "1000000", "/dev/zero"]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE)
    print(f"READY {os.getpid()}", flush=True)
    child.wait()
    print(len(child.stdout.read()))
