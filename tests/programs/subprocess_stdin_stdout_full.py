"""Deadlock (the warning in subprocess's documentation): the parent writes a large input into a
child's stdin without reading its stdout; the child (cat) blocks writing the full stdout pipe,
stops reading stdin, and the parent's write blocks in turn."""
import os
import subprocess
import threading


def ready():
    os.write(1, f"READY {os.getpid()}\n".encode())


if __name__ == "__main__":
    child = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    threading.Timer(0.3, ready).start()
    child.stdin.write(b"x" * 10_000_000)  # LINE:stdin_write
    child.stdin.close()
    print(len(child.stdout.read()))
