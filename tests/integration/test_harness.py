"""Smoke tests of the integration harness itself (conftest.py). They need no pyhang binary."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import (
    INTERPRETERS,
    REQUIRED_IDS,
    SCENARIOS_DIR,
    group_members,
    hung_program,
    is_running,
    thread_states,
    wait_until,
)

# The Python running pytest, for tests of the harness that need just any interpreter.
HOST_PYTHON = sys.executable


def _gone(pid):
    return not os.path.exists(f"/proc/{pid}")


def test_interpreters_discovered():
    only = [x for x in os.environ.get("PYHANG_PYTHONS_ONLY", "").split(",") if x.strip()]
    if not only and os.environ.get("PYHANG_ALLOW_MISSING_PYTHONS", "") in ("", "0"):
        assert [i.id for i in INTERPRETERS] == REQUIRED_IDS
    for interp in INTERPRETERS:
        assert os.path.isabs(interp.path) and os.access(interp.path, os.X_OK)
        assert interp.version == interp.version_tuple and len(interp.version) == 3
        if interp.kind == "pyenv":
            assert ".".join(map(str, interp.version)) == interp.id
        elif interp.id == "deb-3.11":
            assert interp.version[:2] == (3, 11)
        else:
            assert interp.version[:2] == tuple(int(x) for x in interp.id.split(".")[:2])


def test_threads_lock_order_reaches_ready_and_sleeps(python):
    with hung_program(python, SCENARIOS_DIR / "threads_lock_order.py") as prog:
        pid = prog.pid
        assert pid == prog.proc.pid == prog.pgid
        states = thread_states(pid)
        assert len(states) == 3, states  # main thread + two workers
        assert set(states.values()) == {"S"}, states
        assert len(os.listdir(f"/proc/{pid}/task")) == 3
        assert is_running(pid)
        assert group_members(prog.pgid) == [pid]
        out = prog.output_so_far
        assert f"READY {pid}" in out
        assert out.count("First lock acquired") == 2, out
        assert "Second lock acquired" not in out
    assert prog.proc.returncode == -signal.SIGKILL
    assert _gone(pid)


def test_multiprocessing_group_is_waited_for_and_killed(python):
    # Children in the process group: the harness waits for them to sleep too and kills and
    # reaps them all afterwards (the child has exited and is a zombie until then).
    with hung_program(python, "mp_lock_not_released.py") as prog:
        members = group_members(prog.pgid, include_zombies=True)
        assert prog.pid in members and len(members) >= 2, members
        assert "Something bad happened" in prog.output_so_far
    assert group_members(prog.pgid, include_zombies=True) == []


def _write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_waits_until_every_thread_sleeps(tmp_path):
    # READY is printed while a thread still burns CPU for a while: the harness must wait.
    script = _write(tmp_path, "busy_then_sleep.py", """
        import os, threading, time
        def spin():
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                pass
            threading.Event().wait()
        threading.Thread(target=spin).start()
        print(f"READY {os.getpid()}", flush=True)
        threading.Event().wait()
    """)
    start = time.monotonic()
    with hung_program(HOST_PYTHON, script) as prog:
        assert time.monotonic() - start >= 0.9
        assert set(thread_states(prog.pid).values()) == {"S"}


def test_early_exit_fails_with_output(tmp_path):
    script = _write(tmp_path, "crash.py", """
        import sys
        print("about to fail", flush=True)
        sys.exit(3)
    """)
    with pytest.raises(pytest.fail.Exception) as err:
        with hung_program(HOST_PYTHON, script):
            pass
    assert "exited before printing READY" in str(err.value)
    assert "about to fail" in str(err.value)


def test_ready_timeout_fails_and_kills(tmp_path):
    script = _write(tmp_path, "never_ready.py", """
        import os, subprocess, sys, time
        print(f"child pid {os.getpid()}", flush=True)
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        time.sleep(600)
    """)
    start = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as err:
        with hung_program(HOST_PYTHON, script, timeout=1.5) as prog:
            pass
    assert time.monotonic() - start < 10
    msg = str(err.value)
    assert "did not print READY within 1.5s" in msg and "child pid" in msg
    pid = int(msg.split("child pid ")[1].split()[0])
    assert _gone(pid)
    assert group_members(pid, include_zombies=True) == []


def test_is_running_sees_stopped_target(tmp_path):
    script = _write(tmp_path, "sleeper.py", """
        import os, threading
        threading.Thread(target=threading.Event().wait, daemon=True).start()
        print(f"READY {os.getpid()}", flush=True)
        threading.Event().wait()
    """)
    with hung_program(HOST_PYTHON, script) as prog:
        assert is_running(prog.pid)
        os.kill(prog.pid, signal.SIGSTOP)
        wait_until(lambda: set(thread_states(prog.pid).values()) == {"T"}, timeout=5,
                   message="the target to stop")
        assert not is_running(prog.pid)
        os.kill(prog.pid, signal.SIGCONT)
        wait_until(lambda: is_running(prog.pid), timeout=5, message="the target to continue")
    assert not is_running(prog.pid)


def test_is_running_false_for_missing_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert not is_running(proc.pid)
    assert thread_states(proc.pid) == {}
