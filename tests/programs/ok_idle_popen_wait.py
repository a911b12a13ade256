"""Healthy, idle: a build driver waits for a long child command (`sleep 1000` stands for the
compiler) with Popen.wait(). Read without --children pyhang cannot see the child: not a
deadlock."""
import subprocess

from _appkit import ready


def main():
    compiler = subprocess.Popen(["sleep", "1000"])
    ready()
    compiler.wait()  # LINE:popen_wait


if __name__ == "__main__":
    main()
