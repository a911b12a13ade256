"""Hang: the subprocess docs' warning with a Python child that echoes its stdin line by line:
the parent writes all its input before reading any output; the child blocks writing its full
stdout, the parent writing the child's full stdin."""
import subprocess
import sys
import threading

from _appkit import ready

proc = subprocess.Popen([sys.executable, "-c", "import sys\nfor line in sys.stdin: sys.stdout.write(line)"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
threading.Timer(0.5, ready).start()
proc.stdin.write(b"row\n" * 5_000_000)  # LINE:write
proc.stdin.close()
print(len(proc.stdout.read()))
