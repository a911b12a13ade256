"""Hang: a release script runs the test tool through the shell and reads its report from
stdout to the end before it reads stderr; the tool prints a warning per test case on stderr,
which fills (64 KiB) while nobody reads it: the tool blocks writing stderr, the shell waits
for the tool, and the script waits for the end of stdout, which only the shell's exit brings."""
import subprocess
import threading

from _appkit import ready


def run_checks():
    tool = "seq 1 40000 | sed 's/^/warning: deprecated call in case /' >&2; echo all checks passed"
    proc = subprocess.Popen(["sh", "-c", tool], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    threading.Timer(0.5, ready).start()
    report = proc.stdout.read()  # LINE:read_report
    warnings = proc.stderr.read()
    proc.wait()
    return report, warnings


print(run_checks()[0])
