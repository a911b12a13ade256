"""Hang: the subprocess docs' warning. The exporter pipes a big payload into `cat` with
stdin and stdout both PIPE and writes everything before reading anything: cat fills its
stdout pipe and blocks writing it, the exporter blocks writing cat's full stdin."""
import subprocess
import threading

from _appkit import ready


def export(rows):
    payload = "".join(f"{i},{r}\n" for i, r in enumerate(rows)).encode()
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    threading.Timer(0.5, ready).start()
    proc.stdin.write(payload)  # LINE:write
    proc.stdin.close()
    return proc.stdout.read()


export([str(i) * 40 for i in range(200000)])
