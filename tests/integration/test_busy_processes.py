"""Healthy programs whose processes keep talking to each other (tests/programs/c2_ok_busy_mp_*.py
and c2_ok_busy_subprocess_chat.py): request/response over multiprocessing Queues, a Pipe, a
Condition, a child's stdin and stdout. At any moment one process waits for the other, which is
about to answer: never a deadlock.

* Live, with --children, SAMPLES times at random moments: pyhang stops the processes one after
  the other, so a read may catch each in its wait; the findings must not stand.
* From cores of every process (on the interpreters corpus 2 reads cores on): gcore takes one
  process at a time, seconds apart, and thousands of messages pass in between. Two cores that
  each show a process waiting for the other prove nothing: the verdict must not be DEADLOCK.
"""
from __future__ import annotations

import random
import time

import pytest

from conftest import run_pyhang
from test_corpus2 import last_line, with_cores
from test_verdicts import describe, gcore, started

PROGRAMS = [
    "c2_ok_busy_mp_queue_rpc.py",
    "c2_ok_busy_mp_condition_turns.py",
    "c2_ok_busy_mp_pipe_pingpong.py",
    "c2_ok_busy_subprocess_chat.py",
]
SAMPLES = 8
# Sets of cores per program: a set shows both sides waiting about one time in two (3.12.1).
CORE_ROUNDS = 2


@pytest.mark.parametrize("script", PROGRAMS)
def test_processes_that_keep_talking_are_not_deadlocked(python, pyhang, script, tmp_path):
    rng = random.Random(f"{python.id}/{script}")
    wrong = []
    with started(python, script) as prog:
        for i in range(SAMPLES):
            time.sleep(rng.uniform(0.0, 0.05))
            proc = run_pyhang(pyhang, "remote", prog.pid, "--children", *(["--json"] if i % 2 else []))
            ok = proc.returncode == 0 and (('"verdict": "no-deadlock"' in proc.stdout) if i % 2
                                           else last_line(proc).startswith("Verdict: no deadlock"))
            if not ok:
                wrong.append(f"live read {i + 1} with --children:\n{describe(proc)}")
                break
        members = prog.members()
        assert prog.pid in members and len(members) >= 2, (members, prog._describe())
        for round in range(CORE_ROUNDS if with_cores(python) and not wrong else 0):
            # Parent first, as a user would take them; gcore stops each process for a second or more.
            cores = [gcore(pid, tmp_path) for pid in [prog.pid] + [p for p in members if p != prog.pid]]
            assert prog.proc.poll() is None, prog._describe()
            proc = run_pyhang(pyhang, "core", *cores)
            for c in cores:
                c.unlink()
            if proc.returncode != 0 or not last_line(proc).startswith("Verdict: no deadlock"):
                wrong.append(f"the cores of its {len(cores)} processes (round {round + 1}):\n{describe(proc)}")
                break
    assert not wrong, f"a read of the healthy busy program {script} said DEADLOCK; {wrong[0][-6000:]}"
