"""Healthy: a job runner waits for a shell job that sleeps between steps, its stdout piped to a
log file; the runner also holds the child's stdin pipe open."""
import subprocess
import threading

from _appkit import ready

proc = subprocess.Popen(["sh", "-c", "sleep 1000; echo done"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
threading.Timer(0.5, ready).start()
out = proc.stdout.read()  # LINE:read
proc.wait()
