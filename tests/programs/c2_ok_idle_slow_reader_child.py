"""Healthy: the exporter writes a big payload into a child that reads it slowly (a rate-limited
uploader: a shell loop that reads a block, then sleeps)."""
import subprocess
import threading

from _appkit import ready

proc = subprocess.Popen(["sh", "-c", "while head -c 4096 >/dev/null; do sleep 5; done"], stdin=subprocess.PIPE)
threading.Timer(0.5, ready).start()
proc.stdin.write(b"x" * 10_000_000)  # LINE:write
proc.stdin.close()
proc.wait()
