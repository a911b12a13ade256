"""Healthy: the exporter writes a big payload into a Python child that reads a block a minute
(a rate-limited uploader); the child is not inspected."""
import subprocess
import sys
import threading

from _appkit import ready

uploader = subprocess.Popen([sys.executable, "-c", "import sys, time\nwhile sys.stdin.buffer.read(4096):\n    time.sleep(60)"],
                            stdin=subprocess.PIPE)
threading.Timer(0.5, ready).start()


def main():
    uploader.stdin.write(b"r" * 10_000_000)  # LINE:write
    uploader.stdin.close()
    uploader.wait()


main()
