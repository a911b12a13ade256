"""Errors that say what really happened, and odd but legitimate targets that are read.

A main thread that called pthread_exit (a zombie leader with live threads) is inspected; a
thread id stands for its process; a --children descendant that dies while pyhang attaches is
skipped with a warning; a missing core file is "no such file"; a gcore cut short is
"truncated" (exit 8); the same core given twice is read once.
"""
from __future__ import annotations

import os
import signal
import subprocess

import pytest

from conftest import (
    take_gcore,
    INTERPRETERS,
    PROGRAMS_DIR,
    hung_program,
    kill_process_group,
    process_state,
    run_pyhang,
    thread_states,
    wait_until,
)
from stack_helpers import markers

EXIT_BAD_CORE = 8
ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None
needs_python = pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter selected")


def test_main_thread_called_pthread_exit(python, pyhang):
    script = PROGRAMS_DIR / "main_pthread_exit.py"
    proc = subprocess.Popen([python.path, str(script)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, cwd=str(PROGRAMS_DIR))
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("READY "), line
        pid = int(line.split()[1])
        wait_until(lambda: process_state(pid) == "Z" and len(thread_states(pid)) == 2
                   and sorted(thread_states(pid).values()) == ["S", "Z"], timeout=20,
                   message="a zombie main thread and a sleeping survivor")
        r = run_pyhang(pyhang, "remote", pid)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        lines = r.stdout.splitlines()
        assert f"WARNING: the main thread ({pid}) has exited (pthread_exit); the other threads run on" in lines
        m = markers(str(script))
        survivor = [l for l in lines if l.startswith("Traceback for thread ") and "(survivor)" in l]
        assert len(survivor) == 1
        i = lines.index(survivor[0])
        frames = lines[i:lines.index("", i)]
        assert f'    (Python) File "{script}", line {m["survive"]}, in survive' in frames
        wait_until(lambda: set(thread_states(pid).values()) == {"S", "Z"}, timeout=10,
                   message="the survivor to sleep again")  # left as it was
    finally:
        kill_process_group(proc.pid, proc)
        proc.stdout.close()


@needs_python
def test_thread_id_stands_for_its_process(pyhang):
    with hung_program(ONE_PYTHON, "threads_lock_order.py") as prog:
        tid = max(t for t in thread_states(prog.pid) if t != prog.pid)
        r = run_pyhang(pyhang, "remote", tid)
        assert r.returncode == 1, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].startswith(f"Process {prog.pid}: ")
        assert f"WARNING: {tid} is a thread of process {prog.pid}: reading the whole process" in lines
        assert lines[-1].startswith("Verdict: DEADLOCK (lock-order-cycle)")


@needs_python
def test_descendant_killed_while_attaching_is_skipped(pyhang):
    """pyhang holds the parent stopped (test hook) when its children are killed: they are
    skipped with a warning, and the parent is reported."""
    with hung_program(ONE_PYTHON, "mp_child_sleeping.py") as prog:
        children = [p for p in prog.members() if p != prog.pid]
        assert children
        env = dict(os.environ, PYHANG_TEST_HOLD_STOP_MS="1500")
        p = subprocess.Popen([pyhang, "remote", str(prog.pid), "--children"], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: set(thread_states(prog.pid).values()) == {"t"}, timeout=20,
                       message="pyhang to stop the parent")
            for c in children:
                os.kill(c, signal.SIGKILL)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert p.returncode in (0, 1), err
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"Process {prog.pid} [MainProcess]: ")
    for c in children:
        assert [l for l in lines if l.startswith(f"WARNING: process {c}") and "exited while" in l], (c, out)
        assert not [l for l in lines if l.startswith(f"Process {c}")], out


def test_missing_core_file(pyhang, tmp_path):
    path = tmp_path / "no-such.core"
    r = run_pyhang(pyhang, "core", path)
    assert r.returncode == EXIT_BAD_CORE
    assert r.stderr.splitlines() == [f"pyhang: cannot open core {path}: No such file or directory",
                                     "hint: check the path of the core file"]


@pytest.fixture(scope="module")
def gcore_file(tmp_path_factory):
    if ONE_PYTHON is None:
        pytest.skip("no interpreter selected")
    d = tmp_path_factory.mktemp("gcore")
    with hung_program(ONE_PYTHON, "simple.py") as prog:
        g = take_gcore(prog.pid, d / "core")
        core = d / f"core.{prog.pid}"
        assert g.returncode == 0 and core.is_file(), g.stderr
    return core


def test_truncated_gcore_says_truncated(pyhang, gcore_file, tmp_path):
    size = gcore_file.stat().st_size
    cut = tmp_path / "cut.core"
    with open(gcore_file, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(size // 2))
    r = run_pyhang(pyhang, "core", cut)
    assert r.returncode == EXIT_BAD_CORE, r.stderr
    first = r.stderr.splitlines()[0]
    assert first == (f"pyhang: core {cut} is truncated ({size // 2} of {size} bytes present): its notes "
                     f"(threads, registers, mapped files) are lost"), first


def test_same_core_twice_is_read_once(pyhang, gcore_file, tmp_path):
    link = tmp_path / "other-name.core"
    os.symlink(gcore_file, link)
    r = run_pyhang(pyhang, "core", gcore_file, link)
    assert r.returncode == 1, r.stderr  # simple.py's lone thread waits for a lock it holds
    lines = r.stdout.splitlines()
    assert len([l for l in lines if l.startswith("Process ")]) == 1
    assert f"WARNING: {link} was given twice (or under two names): read once" in lines
