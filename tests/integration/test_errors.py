"""Exit statuses and messages of pyhang when it cannot produce a report, and its usage output.

Documented exit statuses (src/cli/exit_codes.h, `pyhang --help`): 0 no deadlock, 1 deadlock,
2 usage error, 3 no such process (or a zombie), 4 permission denied, 5 not a Python process,
6 unsupported Python, 7 process exited while read, 8 bad core file, 10 internal error,
11 could not write the report.

A runtime error is reported on stderr as exactly two lines: `pyhang: <what happened>` and
`hint: <what to do>`; nothing is printed on stdout.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (
    INTERPRETERS,
    PROGRAMS_DIR,
    hung_program,
    process_state,
    run_pyhang,
    thread_states,
    wait_until,
)

EXIT_USAGE, EXIT_NO_SUCH_PROCESS, EXIT_PERMISSION, EXIT_NOT_PYTHON, EXIT_GONE = 2, 3, 4, 5, 7

# Interpreter-independent behaviour: one interpreter is enough (the last selected one).
ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None


def error_lines(proc: subprocess.CompletedProcess):
    """Checks the two-line error format and returns (message, hint) without their prefixes."""
    assert proc.stdout == "", proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("pyhang: "), proc.stderr
    assert lines[1].startswith("hint: "), proc.stderr
    return lines[0][len("pyhang: "):], lines[1][len("hint: "):]


def unused_pid() -> int:
    """A pid no process can have: above the kernel's pid_max."""
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read()) + 1


# --------------------------------------------------------------------------------------------
# No such process, zombie, not Python, permission


def test_no_such_process(pyhang):
    pid = unused_pid()
    r = run_pyhang(pyhang, "remote", pid)
    assert r.returncode == EXIT_NO_SUCH_PROCESS
    message, hint = error_lines(r)
    assert message == f"no such process: {pid}"
    assert "ps" in hint


def test_exited_process(pyhang):
    # A pid that existed a moment ago and has been reaped.
    child = subprocess.Popen(["true"])
    child.wait()
    r = run_pyhang(pyhang, "remote", child.pid, "--json")
    assert r.returncode == EXIT_NO_SUCH_PROCESS
    message, _ = error_lines(r)  # --json does not change the error format: nothing on stdout
    assert message == f"no such process: {child.pid}"


def test_zombie(pyhang):
    child = subprocess.Popen(["true"])  # exits at once; not reaped until child.wait()
    try:
        wait_until(lambda: process_state(child.pid) == "Z", timeout=10, message="a zombie")
        r = run_pyhang(pyhang, "remote", child.pid)
        assert r.returncode == EXIT_NO_SUCH_PROCESS
        message, hint = error_lines(r)
        assert "zombie" in message
        assert message == (f"process {child.pid} is a zombie: it has exited and waits for its "
                           f"parent (pid {os.getpid()}) to reap it")
        assert hint
    finally:
        child.wait()


def test_not_a_python_process(pyhang):
    sleeper = subprocess.Popen(["sleep", "100"])
    try:
        r = run_pyhang(pyhang, "remote", sleeper.pid)
        assert r.returncode == EXIT_NOT_PYTHON
        message, hint = error_lines(r)
        exe = os.path.realpath(shutil.which("sleep"))
        assert message.startswith(f"process {sleeper.pid} ({exe}) is not a Python process")
        assert "pid of the python process" in hint
        assert sleeper.poll() is None  # untouched
    finally:
        sleeper.kill()
        sleeper.wait()


def _unprivileged_prefix():
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a root-owned target and drop to nobody")
@pytest.mark.skipif(_unprivileged_prefix() is None, reason="neither setpriv nor runuser is installed")
@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter selected")
def test_permission_denied(pyhang):
    prefix = _unprivileged_prefix()
    probe = subprocess.run(prefix + [pyhang, "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot run {pyhang}: {probe.stderr.strip()}")
    with hung_program(ONE_PYTHON, PROGRAMS_DIR / "recursion.py") as prog:
        r = subprocess.run(prefix + [pyhang, "remote", str(prog.pid)], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode == EXIT_PERMISSION, r.stderr
        message, hint = error_lines(r)
        assert message.startswith(f"permission denied reading process {prog.pid}: ")
        assert "CAP_SYS_PTRACE" in message and "CAP_SYS_PTRACE" in hint
        assert set(thread_states(prog.pid).values()) == {"S"}  # untouched


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter selected")
def test_already_traced(pyhang):
    """While one pyhang holds the target stopped, a second one is refused (exit 4) and says
    why; the first one still completes its report."""
    with hung_program(ONE_PYTHON, PROGRAMS_DIR / "recursion.py") as prog:
        env = dict(os.environ, PYHANG_TEST_HOLD_STOP_MS="2000")
        first = subprocess.Popen([pyhang, "remote", str(prog.pid), "--json", "--no-analysis"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: set(thread_states(prog.pid).values()) == {"t"}, timeout=20,
                       message="the first pyhang to stop the target")
            second = run_pyhang(pyhang, "remote", prog.pid)
            assert second.returncode == EXIT_PERMISSION
            message, hint = error_lines(second)
            comm = os.path.basename(pyhang)[:15]  # the kernel's name of the first pyhang
            assert message == (f"process {prog.pid}: cannot attach: it is already traced by process "
                               f"{first.pid} ({comm})")
            assert hint == ("detach that tracer (a debugger, strace, a profiler) first, or read without "
                            f"stopping the target: pyhang remote {prog.pid} --no-block")
            assert "as root" not in second.stderr
            out, err = first.communicate(timeout=60)
            assert first.returncode == 0, err
            assert '"schema": "pyhang/1"' in out
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()


# --------------------------------------------------------------------------------------------
# The target exits while pyhang reads it


@pytest.fixture(scope="module", params=INTERPRETERS, ids=[i.id for i in INTERPRETERS])
def python(request):
    """conftest's `python`, module-scoped: one target per interpreter for the tests below."""
    return request.param


@pytest.fixture(scope="module")
def killed_while_read(pyhang, python):
    """Start a target, let pyhang stop it (PYHANG_TEST_HOLD_STOP_MS keeps it stopped after the
    attach), SIGKILL the target during that window. Returns (pyhang's CompletedProcess, seconds
    from the kill to pyhang's exit, target pid)."""
    with hung_program(python, PROGRAMS_DIR / "recursion.py") as prog:
        env = dict(os.environ, PYHANG_TEST_HOLD_STOP_MS="1500")
        p = subprocess.Popen([pyhang, "remote", str(prog.pid)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: set(thread_states(prog.pid).values()) == {"t"}, timeout=20,
                       message="pyhang to stop the target")
            os.kill(prog.pid, signal.SIGKILL)
            # The kill must land inside the hold, before pyhang reads anything.
            assert p.poll() is None
            killed = time.monotonic()
            out, err = p.communicate(timeout=60)
            elapsed = time.monotonic() - killed
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        # The target died (it stays a zombie until the harness reaps it).
        assert process_state(prog.pid) in ("Z", None)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err), elapsed, prog.pid


def test_target_killed_while_read_is_reported_as_an_error(killed_while_read, python, request):
    r, elapsed, pid = killed_while_read
    # No report, no crash, no hang: a two-line error and an error status.
    assert r.returncode in (EXIT_NO_SUCH_PROCESS, EXIT_GONE), r
    message, hint = error_lines(r)
    assert "exited" in message
    assert elapsed < 30


def test_target_killed_while_read_exit_status(killed_while_read):
    r, _, pid = killed_while_read
    assert r.returncode == EXIT_GONE, r
    message, _ = error_lines(r)
    assert message == f"process {pid} exited while it was being read"


# --------------------------------------------------------------------------------------------
# Usage


@pytest.mark.parametrize("args", [
    [],                               # no subcommand
    ["remote"],                       # no pid
    ["remote", "abc"],                # not a number
    ["remote", "12abc"],
    ["remote", "1.5"],
    ["remote", "--bogus", "1"],       # unknown option
    ["frobnicate", "1"],              # unknown subcommand
    ["core"],                         # no core file
], ids=["no-subcommand", "no-pid", "pid-abc", "pid-12abc", "pid-float",
        "unknown-option", "unknown-subcommand", "core-no-file"])
def test_usage_errors(pyhang, args):
    r = run_pyhang(pyhang, *args)
    assert r.returncode == EXIT_USAGE, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().split("\n")
    assert lines[0].startswith("pyhang: ") and lines[-1].startswith("hint: "), r.stderr


def test_empty_pid_is_a_usage_error(pyhang):
    r = run_pyhang(pyhang, "remote", "")
    assert r.returncode == EXIT_USAGE, (r.stdout, r.stderr)
    assert r.stdout == "" and r.stderr.startswith("pyhang: ")


@pytest.mark.parametrize("pid", ["0", "-5"])
def test_impossible_pids(pyhang, pid):
    # Not valid process ids. pyhang currently answers "no such process" (3); a usage error (2)
    # would be as acceptable. Either way: a clear error, nothing on stdout.
    r = run_pyhang(pyhang, "remote", pid)
    assert r.returncode in (EXIT_USAGE, EXIT_NO_SUCH_PROCESS), (r.stdout, r.stderr)
    assert r.stdout == "" and r.stderr.strip()
    if r.returncode == EXIT_NO_SUCH_PROCESS:
        message, _ = error_lines(r)
        assert message == f"no such process: {pid}"


def test_version(pyhang):
    r = run_pyhang(pyhang, "--version")
    assert r.returncode == 0 and r.stderr == ""
    assert re.fullmatch(r"pyhang \d+\.\d+\.\d+( \(git [0-9a-z.-]+\))?\n", r.stdout), r.stdout


def test_help(pyhang):
    r = run_pyhang(pyhang, "--help")
    assert r.returncode == 0 and r.stderr == ""
    text = r.stdout
    assert "remote" in text and "core" in text
    assert "Inspect a running process" in text and "Inspect a core dump" in text
    for code in ("0 no deadlock found", "1 deadlock found", "2 usage error", "3 no such process",
                 "4 permission denied", "5 not a Python process", "6 unsupported Python",
                 "7 process exited while read", "8 bad core file", "10 internal error",
                 "11 could not write the report"):
        assert code in text, code


def test_remote_help(pyhang):
    r = run_pyhang(pyhang, "remote", "--help")
    assert r.returncode == 0 and r.stderr == ""
    for option in ("--locals", "--json", "--no-block", "--no-analysis", "--verbose", "PID"):
        assert option in r.stdout, option
