"""Healthy, idle: an admin console reading commands with input() from a pipe whose writer (a
child process that stays alive) has not written anything yet."""
import os
import subprocess
import sys

from _appkit import ready


def main():
    feeder = subprocess.Popen(["sleep", "100000"], stdout=subprocess.PIPE)
    os.dup2(feeder.stdout.fileno(), 0)
    sys.stdin = open(0, "r", closefd=False)
    ready()
    while True:
        command = input()  # LINE:input
        if command == "quit":
            break


if __name__ == "__main__":
    main()
