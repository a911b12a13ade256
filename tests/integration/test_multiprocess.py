"""Hangs across processes (multiprocessing and subprocess), on every interpreter.

Each program is started once per interpreter and read once with `--children --json`; the tests
assert the finding kind, the participants (process and thread, where each waits, the program's
names for the lock), the bystanders and the exit status. The four seed scenarios of
tests/scenarios/mp_*.py must be diagnosed exactly as tests/scenarios/README.md says.
"""
from __future__ import annotations

import pytest

from conftest import PROGRAMS_DIR, SCENARIOS_DIR, hung_program, pyhang_json, run_pyhang
from process_helpers import line_of, lines_of, only_finding, read_hang


def process_by_pid(doc, pid):
    return next(p for p in doc["processes"] if p["pid"] == pid)


def test_mp_lock_twice(pyhang, python):
    script = SCENARIOS_DIR / "mp_lock_twice.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "self-deadlock")
    (part,) = f["participants"]
    assert part["process"] == "worker"
    assert part["pid"] != pid
    assert part["thread"] == "MainThread"
    inner, outer = lines_of(script, "with lock:")
    assert part["at"] == {"file": str(script), "line": inner, "function": "update_totals"}
    assert "lock" in part["waits_for"]["names"]
    assert part["waits_for"]["kind"] == "semlock"
    holds = [h for h in part["holds"] if h["how"] == "with"]
    assert [(h["since"]["line"], h["since"]["function"]) for h in holds] == [(outer, "worker")]
    (by,) = f["bystanders"]
    assert by["pid"] == pid and by["thread"] == "MainThread"
    assert by["at"]["line"] == line_of(script, "child.join()")
    assert by["waits_for"]["operation"] == "join"
    assert "Found a deadlock (self-deadlock) in process worker" in text.stdout
    assert "multiprocessing.Lock is not re-entrant" in text.stdout


def test_mp_join_each_other(pyhang, python):
    script = SCENARIOS_DIR / "mp_join_each_other.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "join-cycle")
    parts = {p["pid"]: p for p in f["participants"]}
    assert len(parts) == 2 and pid in parts
    parent = parts.pop(pid)
    (child,) = parts.values()
    assert child["process"] == "Process-1"
    assert parent["at"]["line"] == line_of(script, "child.join()")
    assert child["at"]["line"] == line_of(script, "parent.join()")
    assert child["at"]["function"] == "wait_for_parent"
    assert parent["waits_for"]["operation"] == "join" and child["waits_for"]["operation"] == "join"
    assert "Found a deadlock (join cycle) between 2 processes" in text.stdout
    assert "waits for its parent process" in text.stdout


def test_mp_lock_order(pyhang, python):
    script = SCENARIOS_DIR / "mp_lock_order.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "lock-order-cycle")
    parts = {p["process"]: p for p in f["participants"]}
    assert set(parts) == {"transfer-1", "transfer-2"}
    wait_line = line_of(script, "with second_lock:")
    for name, waits, holds in (("transfer-1", "lock2", "lock1"), ("transfer-2", "lock1", "lock2")):
        p = parts[name]
        assert p["at"]["line"] == wait_line and p["at"]["function"] == "transfer"
        assert waits in p["waits_for"]["names"]
        held = [h for h in p["holds"] if h["how"] == "with"]
        assert len(held) == 1
        assert held[0]["since"]["line"] == line_of(script, "with first_lock:")
        assert holds in held[0]["object"]["names"] or "first_lock" in held[0]["object"]["names"]
    (by,) = f["bystanders"]
    assert by["pid"] == pid and by["at"]["line"] == line_of(script, "p1.join()")
    assert "between 2 processes" in text.stdout


def test_mp_lock_not_released(pyhang, python):
    script = SCENARIOS_DIR / "mp_lock_not_released.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "held-by-dead-process")
    (part,) = f["participants"]
    assert part["pid"] == pid
    assert part["at"]["line"] == lines_of(script, "lock.acquire()")[-1]
    assert "lock" in part["waits_for"]["names"]
    assert "Process-1" in f["summary"]
    assert "Process-1" in text.stdout and "has exited" in text.stdout


def test_missing_child_is_named(pyhang, python):
    """Without --children the parent's wait names the flag that would include the child."""
    script = SCENARIOS_DIR / "mp_join_each_other.py"
    with hung_program(python, script) as prog:
        text = run_pyhang(pyhang, "remote", str(prog.pid))
    assert "add --children" in text.stdout
    assert text.returncode == 0


def test_two_pids_given_explicitly(pyhang, python):
    script = SCENARIOS_DIR / "mp_lock_order.py"
    with hung_program(python, script) as prog:
        members = [p for p in prog.members() if p != prog.pid]
        doc = pyhang_json(pyhang, "remote", str(prog.pid), *map(str, members))
    kinds = [f["kind"] for f in doc["diagnosis"]["findings"]]
    assert kinds == ["lock-order-cycle"]


CONTROLS = {
    "mp_child_computing.py": "a child that computes while the parent joins it",
    "mp_child_sleeping.py": "a parent waiting on a child that sleeps",
    "mp_pool_idle.py": "an idle multiprocessing.Pool with the parent sleeping",
}


@pytest.mark.parametrize("program", sorted(CONTROLS))
def test_not_deadlocked(pyhang, python, program):
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / program)
    assert doc["diagnosis"]["verdict"] == "no-deadlock", doc["diagnosis"]
    assert rc == 0
    assert len(doc["processes"]) >= 2


def test_pool_lock_order(pyhang, python):
    """Two pool workers take two shared locks in opposite order; the parent waits in map()."""
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / "mp_pool_lock_order.py")
    f = only_finding(doc, "lock-order-cycle")
    names = sorted(n for p in f["participants"] for n in p["waits_for"]["names"] if n in ("ledger", "journal"))
    assert names == ["journal", "ledger"]
    assert rc == 1
