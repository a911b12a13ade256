"""The pytest plugin python/pyhang_pytest.py (`pytest -p pyhang_pytest --pyhang-after SECONDS`),
on real pytest sessions: Debian's /usr/bin/python3 with its python3-pytest runs a suite generated
in tmp_path, with the plugin on PYTHONPATH and the pyhang under test.

- a test that deadlocks (two threads, two locks in opposite orders, joined by the test): the report
  reaches stderr while the test hangs, names the test and the cycle; with --pyhang-fail the test
  fails with the report in its "pyhang" section, the rest of the suite runs and the process exits 1;
  a test that swallows the interruption makes the process exit 124;
- a quick test gets no report; a slow healthy test gets one that finds no deadlock, and passes.

The interpreter is fixed (the one with pytest), so these tests run once, not per interpreter.
Timeouts are generous and no duration is asserted."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import PROGRAMS_DIR, REPO_ROOT, _merged_env, process_state, thread_states, wait_until

PYTEST_PYTHON = "/usr/bin/python3"
PLUGIN_DIR = REPO_ROOT / "python"
WAIT = 90.0  # seconds for a pytest session that should end by itself (pytest.ini: timeout = 120)


def _has_pytest() -> bool:
    try:
        return subprocess.run([PYTEST_PYTHON, "-c", "import pytest"], capture_output=True).returncode == 0
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _has_pytest(), reason=f"{PYTEST_PYTHON} has no pytest")

# rw_pytest_target.py (TestBank.test_transfer deadlocks, joining its threads at `t.join()`), with
# a quick test before it and one after; JOIN marks the join, for the tests to replace.
DEADLOCK_SUITE = (PROGRAMS_DIR / "rw_pytest_target.py").read_text().replace("            t.join()", "            JOIN") + \
    "\n\ndef test_quick():\n    pass\n\n\ndef test_after():\n    pass\n"
assert "JOIN" in DEADLOCK_SUITE

HEALTHY_SUITE = '''
import time


def test_quick():
    pass


def test_slow():
    time.sleep(3)
'''

DEADLOCK_VERDICT = ("DEADLOCK (lock-order-cycle): 2 threads wait for each other in a lock-order cycle; "
                    "1 more thread is stuck behind.")


def write_suite(where: Path, name: str, text: str, ini: str = "") -> None:
    (where / "pytest.ini").write_text("[pytest]\n" + ini)  # rootdir: node ids relative to `where`
    (where / name).write_text(text)


def session_members(sid: int) -> list:
    """PIDs of the live (not zombie) processes of the session `sid`."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and fields[0] not in "ZX":
                members.append(int(entry))
    return members


def kill_session(sid: int) -> None:
    for pid in session_members(sid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pytest_cmd(*args) -> list:
    return [PYTEST_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-p", "pyhang_pytest", *map(str, args)]


def start(cmd, cwd: Path, stderr, env=None) -> subprocess.Popen:
    environment = _merged_env(env, for_python=True)
    environment["PYTHONPATH"] = str(PLUGIN_DIR)
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                            encoding="utf-8", errors="replace", env=environment, start_new_session=True)


def run_session(cmd, cwd: Path, env=None) -> subprocess.CompletedProcess:
    """Run a pytest session to its end; kill its whole session (pytest and any pyhang) if it
    outlives WAIT, and whatever it left behind in any case."""
    proc = start(cmd, cwd, subprocess.PIPE, env)
    try:
        out, err = proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        kill_session(proc.pid)
        out, err = proc.communicate()
        pytest.fail(f"the pytest session did not end within {WAIT}s: {cmd}\n--- stdout ---\n{out}\n"
                    f"--- stderr ---\n{err}", pytrace=False)
    finally:
        left = session_members(proc.pid)
        kill_session(proc.pid)
    assert left == [], f"processes left behind by {cmd}: {left}"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def cycle_functions(report: str) -> set:
    """The functions of the `at FILE:LINE in FUNCTION (...)` lines of the lock-order cycle."""
    found = report.split("Found a deadlock (lock-order cycle) between 2 threads:\n", 1)[1].split("Stuck behind it:")[0]
    return set(re.findall(r"^      at \S+:\d+ in (\w+) \(", found, re.M))


def notes(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("pyhang:")]


def test_deadlocked_test_fails_with_the_report(pyhang, tmp_path):
    write_suite(tmp_path, "test_bank.py", DEADLOCK_SUITE.replace("JOIN", "t.join()"))
    r = run_session(pytest_cmd("-q", "--pyhang-after", "2", "--pyhang", pyhang, "--pyhang-fail",
                               "--pyhang-output", "reports", "test_bank.py"), tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    note = f"pyhang: test_bank.py::TestBank::test_transfer still running after 2s: {DEADLOCK_VERDICT}"
    # stderr, at once: the note, the report, where it was written; at the end, why the process exits.
    assert notes(r.stderr) == [
        note, f"pyhang: report written to {tmp_path}/reports/test_bank.py_TestBank_test_transfer.txt",
        "pyhang: 1 deadlocked test(s); exiting with status 1 without waiting for their threads"], r.stderr
    assert cycle_functions(r.stderr) == {"to_savings", "to_checking"}
    assert re.search(r'^Stuck behind it: Thread (\d+) "MainThread" waits for Thread-\d+ \(to_\w+\) to finish at '
                     r"test_bank\.py:\d+ in test_transfer \(t\.join\(\)\)\.$", r.stderr, re.M), r.stderr
    assert f"\nVerdict: {DEADLOCK_VERDICT}\n" in r.stderr
    saved = (tmp_path / "reports" / "test_bank.py_TestBank_test_transfer.txt").read_text()
    assert saved.startswith(note + "\n\nProcess ") and saved.endswith(f"\nVerdict: {DEADLOCK_VERDICT}\n")
    # pytest's own report: the test failed with the note, its "pyhang" section holds the report,
    # and the other tests ran.
    assert re.search(r"^-+ Captured pyhang call -+$", r.stdout, re.M), r.stdout
    assert f"E           Failed: {note}\n" in r.stdout  # the traceback ends where the test waited
    assert cycle_functions(r.stdout) == {"to_savings", "to_checking"}
    assert "FAILED test_bank.py::TestBank::test_transfer" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("1 failed, 2 passed in "), r.stdout


def test_deadlock_report_reaches_stderr_while_the_test_hangs(pyhang, tmp_path):
    """Without --pyhang-fail the deadlocked test never ends: the report is on stderr all the same,
    and pyhang has let the process go (no thread is left stopped)."""
    write_suite(tmp_path, "test_bank.py", DEADLOCK_SUITE.replace("JOIN", "t.join()"))
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "w") as err:
        proc = start(pytest_cmd("-q", "--pyhang-after", "2", "--pyhang", pyhang, "test_bank.py"), tmp_path, err)
    try:
        wait_until(lambda: "\nVerdict: " in err_path.read_text() or proc.poll() is not None, timeout=WAIT,
                   message="the report on stderr")
        text = err_path.read_text()
        assert proc.poll() is None, text  # still hanging
        assert notes(text) == [f"pyhang: test_bank.py::TestBank::test_transfer still running after 2s: "
                               f"{DEADLOCK_VERDICT}"], text
        assert cycle_functions(text) == {"to_savings", "to_checking"}
        # pyhang has exited and detached: every thread of the session runs (here: sleeps) again.
        wait_until(lambda: session_members(proc.pid) == [proc.pid], timeout=30, message="pyhang to exit")
        wait_until(lambda: not any(s in "Tt" for s in thread_states(proc.pid).values()), timeout=30,
                   message="no stopped thread")
        assert process_state(proc.pid) not in (None, "Z", "X")
    finally:
        kill_session(proc.pid)
        proc.communicate()


def test_fail_ends_the_process_when_the_test_swallows_the_interruption(pyhang, tmp_path):
    swallow = "\n".join(["while t.is_alive():",
                         "                try:",
                         "                    t.join()",
                         "                except BaseException:",
                         "                    pass"])
    write_suite(tmp_path, "test_bank.py", DEADLOCK_SUITE.replace("JOIN", swallow))
    r = run_session(pytest_cmd("-q", "--pyhang-after", "2", "--pyhang", pyhang, "--pyhang-fail", "test_bank.py"),
                    tmp_path)
    assert r.returncode == 124, r.stdout + r.stderr
    assert notes(r.stderr) == [
        f"pyhang: test_bank.py::TestBank::test_transfer still running after 2s: {DEADLOCK_VERDICT}",
        "pyhang: test_bank.py::TestBank::test_transfer: deadlock; the test did not end within 10s of the "
        "interruption: exiting with status 124"], r.stderr
    assert cycle_functions(r.stderr) == {"to_savings", "to_checking"}


def test_slow_healthy_test_is_reported_and_passes(pyhang, tmp_path):
    """The ini option and $PYHANG instead of the command line options; the quick test gets no report."""
    write_suite(tmp_path, "test_slow.py", HEALTHY_SUITE, ini="pyhang_after = 1\n")
    r = run_session(pytest_cmd("-q", "-rP", "test_slow.py"), tmp_path, env={"PYHANG": pyhang})
    assert r.returncode == 0, r.stdout + r.stderr
    note = "pyhang: test_slow.py::test_slow still running after 1s: no deadlock found."
    assert notes(r.stderr) == [note], r.stderr
    assert re.search(r"^    \(Python\) File \"\S+/test_slow\.py\", line 10, in test_slow\n        time\.sleep\(3\)$",
                     r.stderr, re.M), r.stderr
    assert r.stderr.rstrip().endswith("\nVerdict: no deadlock found.")
    assert re.search(r"^-+ Captured pyhang call -+$", r.stdout, re.M) and note in r.stdout, r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("2 passed in "), r.stdout


def test_off_by_default_and_without_pyhang(pyhang, tmp_path):
    write_suite(tmp_path, "test_slow.py", HEALTHY_SUITE)
    r = run_session(pytest_cmd("-q", "--pyhang", pyhang, "test_slow.py"), tmp_path)
    assert r.returncode == 0 and "pyhang" not in r.stderr + r.stdout, r.stdout + r.stderr
    # A pyhang that cannot be run: said once, and the test goes on.
    missing = tmp_path / "no-such-pyhang"
    r = run_session(pytest_cmd("-q", "--pyhang-after", "1", "--pyhang", missing, "test_slow.py"), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert notes(r.stderr) == [f"pyhang: test_slow.py::test_slow still running after 1s; cannot run {missing}: "
                               f"[Errno 2] No such file or directory: '{missing}'"], r.stderr


def test_bad_after_is_a_usage_error(tmp_path):
    write_suite(tmp_path, "test_slow.py", HEALTHY_SUITE)
    r = run_session(pytest_cmd("-q", "--pyhang-after", "soon", "test_slow.py"), tmp_path)
    assert r.returncode == 4, r.stdout + r.stderr
    assert "--pyhang-after / pyhang_after: not a number of seconds: 'soon'" in r.stderr
