"""Hang: a build runner forks a compiler worker that writes its log into a pipe and exits; the
runner reads the log to end-of-file but never closed its own copy of the pipe's write end, so
the end-of-file never comes: the only writer left is the reader's own process."""
import os
import threading

from _appkit import ready


def run_worker():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, b"compiling main.c\nlinking app\n")
        os._exit(0)
    return pid, r, w  # the parent forgets to close w


def read_log(fd):
    chunks = []
    while True:
        data = os.read(fd, 4096)  # LINE:read_log
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def main():
    pid, r, w = run_worker()
    os.waitpid(pid, 0)
    ready()
    log = read_log(r)
    print(log.decode())


if __name__ == "__main__":
    main()
