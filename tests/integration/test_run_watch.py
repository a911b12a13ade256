"""`pyhang run` and `pyhang watch` on real programs and real interpreters: a deadlock caught
(and killed) under `run`, a deadlock in a grandchild under a shell, a sleeping program reported
as idle only with --idle, a busy program never reported, a normal exit passed through, signals
forwarded to the tree, and `watch` on a program that deadlocks after a while.

Short --interval and --idle values keep the file fast; the timeouts for waiting are generous and
no duration is asserted (a loaded 2-core machine must not make them flaky)."""
from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PROGRAMS_DIR, _merged_env, process_state, thread_states, wait_until
from schema_helpers import schema_problems

WAIT = 90.0  # seconds for a pyhang run that should end by itself
FAST = ["--interval", "0.2"]


def program(name: str) -> str:
    return str(PROGRAMS_DIR / name)


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session `sid` (pyhang runs as a session leader here, so a
    test that fails leaves none of its command's processes behind)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid:  # field 6, the session id
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry), signal.SIGKILL)


def run(pyhang, *args, cwd, timeout: float = WAIT) -> subprocess.CompletedProcess:
    cmd = [pyhang, *(str(a) for a in args)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8", errors="replace", cwd=cwd, env=_merged_env(None, for_python=True),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_session(proc.pid)
        out, err = proc.communicate()
        pytest.fail(f"pyhang did not finish within {timeout}s: {cmd}\n--- stdout ---\n{out}\n"
                    f"--- stderr ---\n{err}", pytrace=False)
    finally:
        kill_session(proc.pid)  # whatever the command left (nothing, when the test passes)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def gone(pid: int) -> bool:
    """Exited (a zombie left for a reaper counts as gone)."""
    state = process_state(pid)
    return state is None or state in "ZX"


def no_stopped_threads(pids) -> bool:
    return not any(s in "Tt" for pid in pids for s in thread_states(pid).values())


def report_dirs(where: Path):
    return sorted(p.name for p in where.iterdir() if p.name.startswith("pyhang-"))


def cycle_functions(doc) -> set:
    findings = doc["diagnosis"]["findings"]
    return {(f["kind"], p["at"]["function"]) for f in findings for p in f["participants"]}


LOCK_ORDER_CYCLE = {("lock-order-cycle", "transfer_to_savings"), ("lock-order-cycle", "transfer_to_checking")}


# --------------------------------------------------------------------------------------------
# run


def test_run_deadlock_killed_with_report(pyhang, python, tmp_path):
    out = tmp_path / "reports"
    r = run(pyhang, "run", *FAST, "--on-hang", "kill", "--output", out, "--", python.path,
            program("rw_lock_order.py"), cwd=tmp_path)
    assert r.returncode == 124, r.stderr
    assert re.match(r"READY \d+\n$", r.stdout)  # the command's own output passes through
    pid = int(r.stdout.split()[1])
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.txt"]
    text = (out / "report.txt").read_text()
    assert text.startswith("pyhang: stuck (deadlock): lock-order-cycle: 2 threads wait for each other in a lock-order cycle\n")
    assert "transfer_to_savings" in text and "transfer_to_checking" in text
    doc = json.loads((out / "report.json").read_text())
    assert schema_problems(doc) == []
    assert doc["diagnosis"]["verdict"] == "deadlock" and doc["hang"]["kind"] == "deadlock"
    assert doc["hang"]["pytest_tests"] == []
    assert cycle_functions(doc) == LOCK_ORDER_CYCLE
    assert [p["pid"] for p in doc["processes"]] == [pid]
    # stderr: the same report, then where it is and what was done.
    assert "pyhang: stuck (deadlock): " in r.stderr
    assert f"pyhang: report written to {out}/report.txt and {out}/report.json\n" in r.stderr
    assert r.stderr.endswith("pyhang: killed the command's processes; exit status 124\n")
    assert "\x1b[" not in r.stderr  # no colour: stderr is no terminal
    assert gone(pid)


def test_run_deadlock_in_a_grandchild_under_a_shell(pyhang, python, tmp_path):
    # sh -> rw_parent.py (waits for its child) -> rw_lock_order.py (deadlocks)
    # (`; exit $?`: the shell stays, it does not exec its last command)
    script = f"'{python.path}' '{program('rw_parent.py')}' '{program('rw_lock_order.py')}'; exit $?"
    r = run(pyhang, "run", *FAST, "--on-hang", "kill", "--output", "out", "--", "sh", "-c", script, cwd=tmp_path)
    assert r.returncode == 124, r.stderr
    grandchild = int(r.stdout.split()[1])
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert cycle_functions(doc) == LOCK_ORDER_CYCLE
    assert {p["pid"] for f in doc["diagnosis"]["findings"] for p in f["participants"]} == {grandchild}
    processes = {p["pid"]: p for p in doc["processes"]}
    assert len(processes) == 3 and grandchild in processes
    shells = [p for p in processes.values() if not p["threads"] or p["command_line"].startswith("sh ")]
    assert len(shells) == 1
    parent = processes[processes[grandchild]["ppid"]]
    assert "rw_parent.py" in parent["command_line"]
    assert gone(grandchild) and gone(parent["pid"])


def test_run_sleeper_is_idle_only_with_idle(pyhang, python, tmp_path):
    # With --idle: reported as idle (never as a deadlock), then killed.
    r = run(pyhang, "run", *FAST, "--idle", "1", "--on-hang", "kill", "--", python.path, program("rw_sleeper.py"),
            cwd=tmp_path)
    assert r.returncode == 124, r.stderr
    [directory] = report_dirs(tmp_path)
    assert re.fullmatch(r"pyhang-\d{8}-\d{6}-\d+", directory)
    text = (tmp_path / directory / "report.txt").read_text()
    assert re.match(r"pyhang: stuck \(idle\): no process used CPU and no Python stack changed for \d+\.\d s; "
                    r"no deadlock found\n", text)
    doc = json.loads((tmp_path / directory / "report.json").read_text())
    assert schema_problems(doc) == []
    assert doc["diagnosis"]["verdict"] == "no-deadlock" and doc["diagnosis"]["findings"] == []
    assert doc["hang"]["kind"] == "idle" and doc["hang"]["quiet_seconds"] >= 1.0  # at least --idle
    main = [t for t in doc["processes"][0]["threads"] if t["is_main"]][0]
    assert main["frames"][-1]["function"] == "main"
    assert "deadlock)" not in r.stderr

    # Without --idle: never reported; the program ends by itself (sleeping 3 s) and exits 0.
    (tmp_path / "quiet").mkdir()
    r = run(pyhang, "run", *FAST, "--", python.path, program("rw_sleeper.py"), "3", cwd=tmp_path / "quiet")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert report_dirs(tmp_path / "quiet") == []


def test_run_busy_program_is_never_idle(pyhang, python, tmp_path):
    r = run(pyhang, "run", *FAST, "--idle", "1", "--on-hang", "kill", "--", python.path, program("rw_busy.py"), "4",
            cwd=tmp_path)
    assert (r.returncode, r.stderr) == (3, ""), r.stderr  # its own status, no report
    assert report_dirs(tmp_path) == []


def test_run_passes_output_and_status_through(pyhang, python, tmp_path):
    code = "import sys; print('out'); sys.stderr.write('err\\n'); sys.exit(7)"
    r = run(pyhang, "run", *FAST, "--idle", "1", python.path, "-c", code, cwd=tmp_path)  # no --: from the first word
    assert (r.returncode, r.stdout, r.stderr) == (7, "out\n", "err\n")
    r = run(pyhang, "run", "--", python.path, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
            cwd=tmp_path)
    assert (r.returncode, r.stderr) == (128 + signal.SIGTERM, "")
    assert report_dirs(tmp_path) == []


def test_run_command_not_found_or_not_executable(pyhang, tmp_path):
    r = run(pyhang, "run", "--", "pyhang-no-such-command", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (127, "pyhang: cannot run 'pyhang-no-such-command': No such file or directory\n"
                                             "hint: check the command's name and PATH\n")
    (tmp_path / "plain").write_text("not a program\n")
    r = run(pyhang, "run", "--", str(tmp_path / "plain"), cwd=tmp_path)
    assert (r.returncode, r.stderr) == (126, f"pyhang: cannot run '{tmp_path / 'plain'}': Permission denied\n"
                                             "hint: check that the file is an executable\n")


def test_run_timeout_then_leave(pyhang, python, tmp_path):
    # The command keeps pyhang's stdout and stderr after pyhang leaves: files, not pipes.
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with open(out_path, "w") as out_file, open(err_path, "w") as err_file:
        proc = subprocess.run([pyhang, "run", *FAST, "--timeout", "1500ms", "--on-hang", "leave", "--output", "out",
                               "--", python.path, program("rw_sleeper.py")], stdin=subprocess.DEVNULL,
                              stdout=out_file, stderr=err_file, cwd=tmp_path, timeout=WAIT, start_new_session=True,
                              env=_merged_env(None, for_python=True))
    pid = int(out_path.read_text().split()[1])
    try:
        err = err_path.read_text()
        assert proc.returncode == 124, err
        text = (tmp_path / "out" / "report.txt").read_text()
        assert text.startswith("pyhang: stuck (timeout): still running 1.5 s after the start; no deadlock found\n")
        doc = json.loads((tmp_path / "out" / "report.json").read_text())
        assert schema_problems(doc) == [] and doc["hang"]["kind"] == "timeout"
        assert err.endswith(f"pyhang: leaving the command running (pid {pid}); exit status 124\n")
        assert not gone(pid) and no_stopped_threads([pid])
    finally:
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_forwards_signals_to_the_tree(pyhang, python, tmp_path, sig):
    # A tree (parent + child) under a deadlock-free watch with frequent inspections; the signal to
    # pyhang reaches both, and nothing is left stopped.
    proc = subprocess.Popen([pyhang, "run", "--interval", "0.05", "--idle", "0.2", "--", python.path,
                             program("rw_tree_sleep.py")], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, encoding="utf-8", cwd=tmp_path, start_new_session=True,
                            env=_merged_env(None, for_python=True))
    try:
        child = int(proc.stdout.readline().split()[1])
        parent = int(proc.stdout.readline().split()[1])
        wait_until(lambda: report_dirs(tmp_path), timeout=WAIT, message="the idle report")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 128 + sig, err
        assert "pyhang: stuck (idle)" in err
        wait_until(lambda: gone(parent) and gone(child), timeout=WAIT, message="the tree to exit")
    finally:
        kill_session(proc.pid)
        proc.wait()


def test_run_on_a_terminal_ctrl_c_and_colour(pyhang, python, tmp_path):
    # In the foreground of a terminal the command shares pyhang's process group: Ctrl-C reaches the
    # whole tree from the terminal (not sent twice), pyhang returns the command's 130. The report
    # is coloured on the terminal, never in the file.
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session of its own with the pty as its terminal
        try:
            os.chdir(str(tmp_path))
            os.execve(pyhang, [pyhang, "run", "--interval", "0.1", "--idle", "0.3", "--", python.path,
                               program("rw_tree_sleep.py")], _merged_env({"NO_COLOR": None, "TERM": "xterm"},
                                                                         for_python=True))
        finally:
            os._exit(127)
    seen = b""

    def read_until(predicate):
        deadline = time.monotonic() + WAIT
        nonlocal seen
        while not predicate() and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: every process of the terminal has closed it
                    return
                if not data:
                    return
                seen += data

    try:
        read_until(lambda: b"report written to" in seen)
        text = seen.decode("utf-8", "replace")
        child = int(re.search(r"CHILD (\d+)", text).group(1))
        parent = int(re.search(r"READY (\d+)", text).group(1))
        assert "\x1b[" in text
        os.write(fd, b"\x03")
        read_until(lambda: False)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGINT, seen.decode("utf-8", "replace")
        wait_until(lambda: gone(parent) and gone(child), timeout=WAIT, message="the tree to exit")
        [directory] = report_dirs(tmp_path)
        assert "\x1b[" not in (tmp_path / directory / "report.txt").read_text()
    finally:
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _pytest_python():
    """Debian's python3 with its python3-pytest (the interpreter running these tests)."""
    r = subprocess.run(["/usr/bin/python3", "-c", "import pytest"], capture_output=True)
    return "/usr/bin/python3" if r.returncode == 0 else None


@pytest.mark.skipif(_pytest_python() is None, reason="/usr/bin/python3 has no pytest")
def test_run_names_the_running_pytest_test(pyhang, tmp_path):
    target = tmp_path / "rw_pytest_target.py"
    target.write_text(Path(program("rw_pytest_target.py")).read_text())
    r = run(pyhang, "run", *FAST, "--on-hang", "kill", "--output", "out", "--", "/usr/bin/python3", "-m", "pytest",
            "-q", "-p", "no:cacheprovider", target.name, cwd=tmp_path)
    assert r.returncode == 124, r.stderr
    text = (tmp_path / "out" / "report.txt").read_text()
    lines = text.split("\n")
    assert lines[0] == "pyhang: stuck (deadlock): lock-order-cycle: 2 threads wait for each other in a lock-order cycle"
    assert re.fullmatch(rf"pyhang: running test {re.escape(str(target))}::TestBank\.test_transfer "
                        r"\(process (\d+), thread \1\)", lines[1]), lines[1]
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert schema_problems(doc) == []
    assert doc["hang"]["pytest_tests"] == [f"{target}::TestBank.test_transfer"]


# --------------------------------------------------------------------------------------------
# watch


def start(python, *args):
    proc = subprocess.Popen([python.path, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            encoding="utf-8", start_new_session=True, env=_merged_env(None, for_python=True))
    line = proc.stdout.readline()
    assert line.startswith("READY "), line
    return proc


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_watch_once_on_a_late_deadlock(pyhang, python, tmp_path):
    target = start(python, program("rw_lock_order.py"), "2")  # works (busy) for 2 s, then deadlocks
    try:
        r = run(pyhang, "watch", target.pid, "--once", *FAST, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert r.stdout.startswith("pyhang: stuck (deadlock): lock-order-cycle: 2 threads wait for each other in a lock-order cycle\n")
        assert "transfer_to_savings" in r.stdout and "transfer_to_checking" in r.stdout
        assert r.stderr == ""
        assert target.poll() is None and no_stopped_threads([target.pid])
    finally:
        stop(target)


def test_watch_reports_a_deadlock_once_and_exits_0_when_the_process_exits(pyhang, python, tmp_path):
    target = start(python, program("rw_lock_order.py"))
    err_path = tmp_path / "stderr"
    try:
        with open(err_path, "w") as err_file:
            watcher = subprocess.Popen([pyhang, "watch", str(target.pid), "--json", *FAST], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=err_file, encoding="utf-8",
                                       start_new_session=True)
        try:
            wait_until(lambda: "stuck (deadlock)" in err_path.read_text(), timeout=WAIT, message="the report")
            # The deadlock stays: a few more checks must not report it again.
            time.sleep(1.0)
            stop(target)
            out, _ = watcher.communicate(timeout=WAIT)
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
        err = err_path.read_text()
        assert watcher.returncode == 0, err
        assert err.count("pyhang: stuck (deadlock): ") == 1
        assert err.endswith(f"pyhang: process {target.pid} exited\n")
        doc = json.loads(out)  # exactly one JSON document
        assert schema_problems(doc) == [] and doc["hang"]["kind"] == "deadlock"
        assert cycle_functions(doc) == LOCK_ORDER_CYCLE
    finally:
        stop(target)


def test_watch_busy_and_sleeping_programs_are_not_stuck(pyhang, python, tmp_path):
    sleeper = start(python, program("rw_sleeper.py"), "3")
    try:
        r = run(pyhang, "watch", sleeper.pid, *FAST, cwd=tmp_path)
        assert (r.returncode, r.stdout, r.stderr) == (0, "", f"pyhang: process {sleeper.pid} exited\n")
    finally:
        stop(sleeper)
    r = run(pyhang, "watch", "999999999", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (3, "pyhang: no such process: 999999999\nhint: check the pid with ps\n")
