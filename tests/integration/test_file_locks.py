"""Hangs through file locks, across processes and in one, on every interpreter.

A thread blocked in flock(2) or in fcntl(F_SETLKW) (as fcntl.lockf() takes a record lock) waits
for the processes holding that file's lock: /proc/PID/task/TID/syscall gives the call and the fd,
/proc/locks the holders' pids, their /proc/PID/fdinfo the descriptor that holds it. The kernel
detects deadlocks among record locks only; flock() locks, and any cycle through another kind of
lock, wait forever:

* two processes flock() two files in opposite orders;
* a helper flock()s a file its caller already locked through another open(): an flock()
  belongs to the open file, so the second one waits for the first;
* a lockf() record lock and a multiprocessing.Lock in opposite orders.

Controls: the holder is outside the report (named, with its command line), or in it but working.
Cores carry no lock table: these are live-only diagnoses (test_verdicts.py reads the cores).
"""
from __future__ import annotations

import pytest

from conftest import PROGRAMS_DIR
from process_helpers import line_of, only_finding, parent_and_child, read_hang

ORDER = PROGRAMS_DIR / "real_flock_order.py"
REENTRY = PROGRAMS_DIR / "real_flock_reentry.py"
MIXED = PROGRAMS_DIR / "real_lockf_mp_lock.py"
HOLDER = PROGRAMS_DIR / "ok_idle_flock_holder.py"


def test_flock_order_cycle_between_two_processes(pyhang, python):
    pid, doc, rc, text = read_hang(pyhang, python, ORDER)
    assert rc == 1, text.stdout
    f = only_finding(doc, "lock-order-cycle")
    scheduler, indexer = parent_and_child(f, pid)
    assert scheduler["at"] == {"file": str(ORDER), "line": line_of(ORDER, "LINE:scheduler_state"), "function": "main"}
    assert indexer["at"] == {"file": str(ORDER), "line": line_of(ORDER, "LINE:indexer_queue"), "function": "indexer"}
    for part, name, holder in ((scheduler, "jobs.state", indexer), (indexer, "jobs.queue", scheduler)):
        w = part["waits_for"]
        assert (w["operation"], w["how"], w["timeout"]) == ("file-lock", "an exclusive flock()", False)
        assert w["file"].endswith("/" + name)
        # The indexer holds its parent's open file of jobs.queue too (inherited across fork).
        by_pid = {h["pid"]: h for h in w["file_lock_holders"]}
        assert by_pid[holder["pid"]]["in_report"] and isinstance(by_pid[holder["pid"]]["fd"], int)
        assert set(by_pid) <= {holder["pid"], part["pid"]}
    out = text.stdout
    assert "Found a deadlock (lock-order cycle) between 2 processes:" in out
    assert f"thread MainThread waits for an exclusive flock() on {scheduler['waits_for']['file']} (fd " in out
    assert f"held by process indexer (pid {indexer['pid']}) through its fd " in out
    assert "a copy of that open file it inherited across fork()" in out
    line_s, line_q = line_of(ORDER, "LINE:scheduler_state"), line_of(ORDER, "LINE:indexer_queue")
    assert f["fix"] == (f"the processes lock {scheduler['waits_for']['file']} and {indexer['waits_for']['file']} in opposite "
                        f"orders (at real_flock_order.py:{line_s}; real_flock_order.py:{line_q}): take the file locks in one "
                        "order everywhere (sort the paths), or hold one at a time.")


def test_flock_of_a_file_the_caller_already_locked(pyhang, python):
    pid, doc, rc, text = read_hang(pyhang, python, REENTRY, children=False)
    assert rc == 1, text.stdout
    f = only_finding(doc, "self-deadlock")
    [part] = f["participants"]
    line = line_of(REENTRY, "LINE:helper_flock")
    assert part["at"] == {"file": str(REENTRY), "line": line, "function": "locked"}
    w = part["waits_for"]
    assert w["operation"] == "file-lock" and w["file"].endswith("/settings.json")
    [holder] = w["file_lock_holders"]
    assert holder["pid"] == pid and holder["in_report"]
    out = text.stdout
    assert f"held by its own process through its fd {holder['fd']}" in out
    assert "An flock() belongs to the open file that took it" in out
    assert f["fix"].startswith(f"real_flock_reentry.py:{line} locks {w['file']} again through a second open() while its "
                               "own process holds it through another")


def test_lockf_and_multiprocessing_lock_in_opposite_orders(pyhang, python):
    pid, doc, rc, text = read_hang(pyhang, python, MIXED)
    assert rc == 1, text.stdout
    f = only_finding(doc, "lock-order-cycle")
    exporter, archiver = parent_and_child(f, pid)
    assert exporter["waits_for"]["operation"] == "file-lock"
    assert exporter["waits_for"]["how"] == "a record lock (fcntl F_SETLKW, as lockf() takes)"
    assert [h["pid"] for h in exporter["waits_for"]["file_lock_holders"]] == [archiver["pid"]]
    assert archiver["waits_for"]["operation"] == "acquire"
    assert archiver["at"]["line"] == line_of(MIXED, "LINE:archiver_with")


@pytest.mark.parametrize("children", [False, True], ids=["holder-outside", "holder-in-report"])
def test_a_wait_for_a_working_holder_is_not_a_deadlock(pyhang, python, children):
    """The holder sleeps while it holds the lock (it works): outside the report, it is named with its
    command line; in it (--children), it is a process that still runs."""
    pid, doc, rc, text = read_hang(pyhang, python, HOLDER, children=children)
    assert rc == 0, text.stdout
    assert doc["diagnosis"]["findings"] == [], doc["diagnosis"]
    line = line_of(HOLDER, "LINE:flock_wait")
    notes = [n for n in doc["diagnosis"]["notes"] if "waits for an exclusive flock() on " in n]
    assert len(notes) == 1 and f"ok_idle_flock_holder.py:{line} in main" in notes[0], doc["diagnosis"]["notes"]
    if children:
        assert "held by process child (pid " in notes[0] and "through its fd " in notes[0], notes[0]
    else:
        assert ", held by pid " in notes[0] and "python" in notes[0] and "[not in this report]" in notes[0], notes[0]
