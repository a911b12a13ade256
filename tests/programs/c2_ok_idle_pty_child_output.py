"""Healthy, idle: a job runner starts a non-Python command on a pseudo-terminal (so that it
line-buffers its output) and copies what it prints from a thread; the main thread joins that
thread. The command holds the terminal's slave end and may print at any time."""
import os
import subprocess
import threading

from _appkit import ready


def run_on_pty(argv):
    master, slave = os.openpty()
    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    return child, master


def pump(master, sink):
    while True:
        try:
            data = os.read(master, 4096)  # LINE:pty_read
        except OSError:  # EIO once the command has exited
            break
        if not data:
            break
        sink.append(data)


def main():
    child, master = run_on_pty(["sleep", "3600"])
    output = []
    reader = threading.Thread(target=pump, args=(master, output), name="pty-pump")
    reader.start()
    ready()
    reader.join()  # LINE:join
    child.wait()


if __name__ == "__main__":
    main()
