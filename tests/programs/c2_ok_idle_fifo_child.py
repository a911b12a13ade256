"""Healthy: the runner reads the output of a child (cat) that copies a FIFO nobody has opened for
writing yet: another program will."""
import os
import subprocess
import tempfile
import threading

from _appkit import ready

d = tempfile.mkdtemp()
fifo = os.path.join(d, "in")
os.mkfifo(fifo)
proc = subprocess.Popen(["sh", "-c", f"cat {fifo}"], stdout=subprocess.PIPE)
threading.Timer(0.5, ready).start()
data = proc.stdout.read()  # LINE:read
