"""Healthy, idle: a daemon reads admin commands from a named pipe (FIFO) with readline(). The
daemon keeps its own write end open (so the reader never sees EOF between admin sessions); no
admin has written anything yet. The main thread joins the command reader."""
import os
import tempfile
import threading

from _appkit import ready


class CommandChannel:
    def __init__(self, directory):
        self.path = os.path.join(directory, "control")
        os.mkfifo(self.path)
        self.reader_fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.keepalive_fd = os.open(self.path, os.O_WRONLY)
        os.set_blocking(self.reader_fd, True)
        self.commands = []

    def serve(self):
        with os.fdopen(self.reader_fd, "r") as stream:
            for line in iter(stream.readline, ""):  # LINE:readline
                self.commands.append(line.strip())


def main():
    channel = CommandChannel(tempfile.mkdtemp(prefix="daemon-"))
    reader = threading.Thread(target=channel.serve, name="command-reader")
    reader.start()
    ready()
    reader.join()  # LINE:main_join


if __name__ == "__main__":
    main()
