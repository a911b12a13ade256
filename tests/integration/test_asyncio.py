"""asyncio: tasks, their await graph and the diagnoses of hung event loops, on every
interpreter.

The targets are the four asyncio seed scenarios (tests/scenarios/asyncio_*.py, read live and
from a gcore core) and the programs tests/programs/aio_*.py. Each is started once per
interpreter; pyhang reads it once as text and once as JSON, and the tests check that one start:

* the diagnosis the scenarios README asks for (kind, participants by task name and coroutine,
  the loop thread's tid, where each waits with the program's names for what it waits for, what
  it holds since which line, the tasks stuck behind), and the `Verdict:` line;
* the JSON `processes[].tasks[]` (address, name, state, thread, coroutine_stack outermost first,
  awaits, awaited_by, holds) and `event_loops[]`;
* the text report's task tree printed after the loop thread's traceback;
* that idle programs (a sleeping task, an idle server) are not reported as deadlocked;
* on Python 3.14 and 3.15, that the tasks and the await graph agree with `python3.1X -m asyncio ps` and
  `pstree` run on the same process.

Lines are found through `# LINE:<name>` markers in the programs (the seeds' lines are the ones
tests/scenarios/README.md names).
"""
from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from conftest import (
    take_gcore,
    settle_asleep,
    INTERPRETERS,
    PROGRAMS_DIR,
    SCENARIOS_DIR,
    Interp,
    hung_program,
    pyhang_json,
    run_pyhang,
)


# One start per interpreter and program (module-scoped `python`, observations cached below).
@pytest.fixture(scope="module", params=INTERPRETERS, ids=[i.id for i in INTERPRETERS])
def python(request) -> Interp:
    return request.param


# --------------------------------------------------------------------------------------------
# Programs and observations


def program_path(name: str) -> Path:
    for d in (PROGRAMS_DIR, SCENARIOS_DIR):
        if (d / name).is_file():
            return (d / name).resolve()
    raise AssertionError(f"no program {name}")


@functools.lru_cache(maxsize=None)
def marker_lines(name: str) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for number, text in enumerate(program_path(name).read_text(encoding="utf-8").splitlines(), 1):
        m = re.search(r"#\s*LINE:(\w+)", text)
        if m:
            found[m.group(1)] = number
    return found


def line(name: str, marker: str) -> int:
    return marker_lines(name)[marker]


@dataclass
class Obs:
    interp: Interp
    program: str
    pid: int
    text: str
    rc: int
    stderr: str
    doc: Dict[str, Any]
    json_rc: int
    output: str
    source: str = "live"

    @property
    def proc(self) -> Dict[str, Any]:
        return self.doc["processes"][0]

    @property
    def tasks(self) -> Dict[str, Dict[str, Any]]:
        return {t["name"]: t for t in self.proc["tasks"]}

    @property
    def pending(self) -> Dict[str, Dict[str, Any]]:
        return {t["name"]: t for t in self.proc["tasks"] if t["state"] in ("pending", "running")}

    @property
    def findings(self) -> List[Dict[str, Any]]:
        return self.doc["diagnosis"]["findings"]

    @property
    def verdict_line(self) -> str:
        return self.text.rstrip("\n").splitlines()[-1]

    def thread_tid(self, name: str) -> int:
        tids = [t["tid"] for t in self.proc["threads"] if t["name"] == name]
        assert len(tids) == 1, f"no single thread {name!r}\n{self.describe()}"
        return tids[0]

    def task_by_address(self, address: int) -> Dict[str, Any]:
        for t in self.proc["tasks"]:
            if t["address"] == address:
                return t
        raise AssertionError(f"no task at {address:#x}\n{self.describe()}")

    def describe(self) -> str:
        return (f"\n--- pyhang {self.source} {self.interp.id} on {self.program} (exit {self.rc}) ---\n"
                f"{self.text}{self.stderr}\n--- program output ---\n{self.output[-3000:]}")



_OBSERVED: Dict[Tuple[str, str, bool], Tuple[Obs, Optional[Obs]]] = {}


def observe(python: Interp, pyhang: str, program: str, tmp_path: Path, core: bool = False) -> Tuple[Obs, Optional[Obs]]:
    """(live, core) observations of `program` on `python`; core is None unless asked for."""
    key = (python.id, program, core)
    if key in _OBSERVED:
        return _OBSERVED[key]
    core_obs = None
    with hung_program(python, program_path(program)) as prog:
        text = run_pyhang(pyhang, "remote", prog.pid)
        settle_asleep(prog.pid)
        doc, proc = pyhang_json(pyhang, "remote", prog.pid, with_proc=True)
        settle_asleep(prog.pid)
        live = Obs(python, program, prog.pid, text.stdout, text.returncode, text.stderr, doc, proc.returncode,
                   prog.output_so_far)
        if core:
            prefix = tmp_path / "core"
            g = take_gcore(prog.pid, prefix)
            core_file = Path(f"{prefix}.{prog.pid}")
            assert g.returncode == 0 and core_file.is_file(), f"gcore failed ({g.returncode}): {g.stdout}{g.stderr}"
    if core:
        try:
            ctext = run_pyhang(pyhang, "core", core_file)
            cdoc, cproc = pyhang_json(pyhang, "core", core_file, with_proc=True)
        finally:
            core_file.unlink()
        core_obs = Obs(python, program, live.pid, ctext.stdout, ctext.returncode, ctext.stderr, cdoc,
                       cproc.returncode, live.output, source="core")
    _OBSERVED[key] = (live, core_obs)
    return _OBSERVED[key]


def seed(python: Interp, pyhang: str, scenario: str, tmp_path: Path) -> List[Obs]:
    live, core = observe(python, pyhang, scenario, tmp_path, core=True)
    return [live, core]


# --------------------------------------------------------------------------------------------
# Checks shared by the tests


def frame_fn(f: Dict[str, Any]) -> Tuple[str, int, str]:
    return (Path(f["file"]).name, f["line"], f["function"])


def participant(obs: Obs, finding: Dict[str, Any], task: str) -> Dict[str, Any]:
    parts = [p for p in finding["participants"] if p["task"] == task]
    assert len(parts) == 1, f"no single participant {task!r} in {finding['participants']}{obs.describe()}"
    return parts[0]


def check_at(p: Dict[str, Any], file: str, line_no: int, function: str) -> None:
    assert (Path(p["at"]["file"]).name, p["at"]["line"], p["at"]["function"]) == (file, line_no, function), p


def waits_names(p: Dict[str, Any]) -> set:
    return set(p["waits_for"].get("names", [])) if p["waits_for"] else set()


def check_common(obs: Obs, verdict: str) -> None:
    """Exit code and verdict agree in text and JSON; no warnings about tasks."""
    assert obs.doc["diagnosis"]["verdict"] == verdict, obs.describe()
    assert obs.rc == obs.json_rc == (1 if verdict == "deadlock" else 0), obs.describe()
    assert obs.stderr == "", obs.describe()
    assert obs.verdict_line == obs.doc["diagnosis"]["summary"], obs.describe()
    for t in obs.proc["tasks"]:
        assert not t.get("warnings"), (t, obs.describe())


def check_task_json(obs: Obs) -> None:
    """The shape of processes[].tasks[] and event_loops[]."""
    loops = obs.proc["event_loops"]
    assert loops, obs.describe()
    for t in obs.proc["tasks"]:
        for key in ("address", "name", "state", "thread", "coroutine", "coroutine_stack", "awaits", "awaited_by",
                    "holds", "exception"):
            assert key in t, (key, t)
        if t["address"] is None:  # a finished task known from evidence only
            assert t["state"] == "finished" and t["evidence"], t
            continue
        assert t["state"] in ("pending", "running", "finished", "cancelled"), t
        if t["state"] == "pending":
            assert t["coroutine_stack"], t
            assert t["coroutine_stack"][0]["function"] == t["coroutine"].split(".")[-1], t
            assert t["awaits"] and t["awaits"]["kind"], t
            assert t["thread"] in [l["thread"] for l in loops], t
        for f in t["coroutine_stack"]:
            assert f["kind"] == "python" and f["file"] and f["line"] > 0, f
        for h in t["holds"]:
            assert h["how"] in ("async with", "with", "acquire() (from the source)"), h
            assert 0 <= h["frame"] < len(t["coroutine_stack"]), h
        for ab in t["awaited_by"]:
            assert obs.task_by_address(ab["address"])["name"] == ab.get("name"), ab


def check_loop_section(obs: Obs, thread: str = "MainThread") -> List[str]:
    """The text report shows the loop's tasks right after that thread's traceback; returns the
    lines of that section."""
    lines = obs.text.splitlines()
    tid = obs.thread_tid(thread)
    start = next(i for i, s in enumerate(lines) if s.startswith(f"Traceback for thread {tid} "))
    end = next(i for i in range(start, len(lines)) if lines[i] == "")
    assert lines[end + 1].startswith("Asyncio event loop <") and f" run by thread {tid}: " in lines[end + 1], \
        obs.describe()
    stop = next(i for i in range(end + 1, len(lines)) if lines[i] == "")
    section = lines[end + 1:stop]
    for name, t in obs.pending.items():
        if t["thread"] == tid:
            assert any(f"(T) {name} (" in s for s in section), (name, obs.describe())
    return section


def check_core_equals_live(live: Obs, core: Obs) -> None:
    assert core.proc["source"] == "core" and live.proc["source"] == "live"
    assert core.doc["diagnosis"]["verdict"] == live.doc["diagnosis"]["verdict"]
    assert core.findings == live.findings, core.describe() + live.describe()
    strip = lambda ts: [{k: v for k, v in t.items() if k not in ("awaits",)} for t in ts]
    assert strip(core.proc["tasks"]) == strip(live.proc["tasks"]), core.describe() + live.describe()
    assert [t["awaits"] and {k: v for k, v in t["awaits"].items() if k != "fires_in"} for t in core.proc["tasks"]] == \
        [t["awaits"] and {k: v for k, v in t["awaits"].items() if k != "fires_in"} for t in live.proc["tasks"]]
    assert core.verdict_line == live.verdict_line


# --------------------------------------------------------------------------------------------
# The four seed scenarios (tests/scenarios/README.md), live and from a core


def test_seed_asyncio_lock_twice(python, pyhang, tmp_path):
    """Self-deadlock: the main task holds `lock` (`async with` at line 14 in task1) and, through
    `await task2(lock)`, waits for the same asyncio.Lock at line 8 in task2."""
    src = "asyncio_lock_twice.py"
    for obs in seed(python, pyhang, src, tmp_path):
        check_common(obs, "deadlock")
        check_task_json(obs)
        assert [f["kind"] for f in obs.findings] == ["self-deadlock"], obs.describe()
        f = obs.findings[0]
        p = participant(obs, f, "Task-1")
        assert p["tid"] == obs.thread_tid("MainThread") and p["thread"] == "MainThread"
        check_at(p, src, 8, "task2")
        assert p["waits_for"]["operation"] == "acquire" and "lock" in waits_names(p), p
        assert p["waits_for"]["kind"] == "asyncio-lock", p
        holds = [(h["how"], Path(h["since"]["file"]).name, h["since"]["line"], h["since"]["function"],
                  h["object"]["address"]) for h in p["holds"]]
        assert holds == [("async with", src, 14, "task1", p["waits_for"]["address"])], holds
        assert f["explanation"][0] == ('Found a deadlock (self-deadlock) in Task "Task-1" (main) of the event loop in '
                                       f'Thread {obs.thread_tid("MainThread")} "MainThread":'), f["explanation"]
        assert f["explanation"][1].startswith('  Task "Task-1" (main) waits to acquire lock <asyncio.locks.Lock at 0x')
        assert "      at asyncio_lock_twice.py:8 in task2 (async with lock:)" in f["explanation"]
        assert "    which it already holds itself since asyncio_lock_twice.py:14 in task1 (async with)" in f["explanation"]
        assert obs.verdict_line == ('Verdict: DEADLOCK (self-deadlock): Task "Task-1" (main) waits for asyncio.Lock '
                                    'lock, which it already holds.'), obs.describe()
        t = obs.tasks["Task-1"]
        assert [frame_fn(fr)[2] for fr in t["coroutine_stack"]][:3] == ["main", "task1", "task2"], t
        assert t["awaits"]["kind"] == "lock" and t["awaits"]["how"] == "async with", t["awaits"]
        section = check_loop_section(obs)
        assert any(">>> waiting to acquire lock <asyncio.locks.Lock at" in s and s.endswith(", held by itself")
                   for s in section), section
        assert any(">>> holds lock <asyncio.locks.Lock at" in s and "since line 14" in s for s in section), section
    check_core_equals_live(*seed(python, pyhang, src, tmp_path))


def test_seed_asyncio_await_each_other(python, pyhang, tmp_path):
    """Await cycle: Task-1 (main) awaits Task-2, which awaits Task-1."""
    src = "asyncio_await_each_other.py"
    for obs in seed(python, pyhang, src, tmp_path):
        check_common(obs, "deadlock")
        check_task_json(obs)
        assert [f["kind"] for f in obs.findings] == ["await-cycle"], obs.describe()
        f = obs.findings[0]
        assert sorted(p["task"] for p in f["participants"]) == ["Task-1", "Task-2"]
        for p in f["participants"]:
            assert p["tid"] == obs.thread_tid("MainThread"), p
            check_at(p, src, 8, "wait_for")
        assert f["explanation"][0].startswith("Found a deadlock (await cycle) between 2 tasks of the event loop in Thread ")
        assert '  Task "Task-1" (main) awaits Task "Task-2" (wait_for)' in f["explanation"]
        assert '  Task "Task-2" (wait_for) awaits Task "Task-1" (main)' in f["explanation"]
        t1, t2 = obs.tasks["Task-1"], obs.tasks["Task-2"]
        assert t1["awaits"]["kind"] == "task" and t1["awaits"]["task"]["name"] == "Task-2"
        assert t2["awaits"]["kind"] == "task" and t2["awaits"]["task"]["name"] == "Task-1"
        assert [a["name"] for a in t1["awaited_by"]] == ["Task-2"] and [a["name"] for a in t2["awaited_by"]] == ["Task-1"]
        assert obs.verdict_line == "Verdict: DEADLOCK (await-cycle): 2 tasks await each other in a cycle.", obs.describe()
        section = check_loop_section(obs)
        assert "    (tasks that await each other in a cycle)" in section, section
    check_core_equals_live(*seed(python, pyhang, src, tmp_path))


def test_seed_asyncio_lock_order(python, pyhang, tmp_path):
    """Lock-order cycle between the two gathered tasks: one holds lock1 and waits for lock2, the
    other holds lock2 and waits for lock1 (line 11); the main task waits in asyncio.gather."""
    src = "asyncio_lock_order.py"
    for obs in seed(python, pyhang, src, tmp_path):
        check_common(obs, "deadlock")
        check_task_json(obs)
        main = obs.tasks["Task-1"]
        assert main["awaits"]["kind"] == "gather", main["awaits"]
        children = [c["name"] for c in main["awaits"]["children"]]
        assert len(children) == 2 and all(re.fullmatch(r"Task-\d+", c) for c in children), children
        assert [f["kind"] for f in obs.findings] == ["lock-order-cycle"], obs.describe()
        f = obs.findings[0]
        assert sorted(p["task"] for p in f["participants"]) == sorted(children)
        lock1 = obs.tasks[children[0]]["holds"][0]["object"]["address"]
        lock2 = obs.tasks[children[1]]["holds"][0]["object"]["address"]
        assert lock1 != lock2
        for name, held, wanted, held_name, wanted_name in ((children[0], lock1, lock2, "lock1", "lock2"),
                                                          (children[1], lock2, lock1, "lock2", "lock1")):
            p = participant(obs, f, name)
            check_at(p, src, 11, "task")
            assert p["waits_for"]["address"] == wanted and p["waits_for"]["names"][0] == wanted_name, p
            assert [(h["object"]["address"], h["object"]["names"][0], h["how"], h["since"]["line"]) for h in p["holds"]] \
                == [(held, held_name, "async with", 8)], p
            other = children[1] if name == children[0] else children[0]
            assert p["held_by"] == f'Task "{other}" (task)', p
        assert [b["task"] for b in f["bystanders"]] == ["Task-1"], f["bystanders"]
        stuck = [s for s in f["explanation"] if s.startswith("Stuck behind it: ")]
        assert stuck == [f'Stuck behind it: Task "Task-1" (main) awaits gather() of Task "{children[0]}" (task), '
                         f'Task "{children[1]}" (task) at asyncio_lock_order.py:24 in main '
                         '(await asyncio.gather(task(1, lock1, lock2), task(2, lock2, lock1))).'], stuck
        assert obs.verdict_line == ("Verdict: DEADLOCK (lock-order-cycle): 2 tasks wait for each other's asyncio locks "
                                    "in a lock-order cycle; 1 more task is stuck behind."), obs.describe()
        section = check_loop_section(obs)
        assert section[1].startswith("└── (T) Task-1 (main) [pending]"), section
        assert any(s.endswith(f"├── (T) {children[0]} (task) [pending]") for s in section), section
        assert any(s.endswith(f"└── (T) {children[1]} (task) [pending]") for s in section), section
    check_core_equals_live(*seed(python, pyhang, src, tmp_path))


def test_seed_asyncio_lock_not_released(python, pyhang, tmp_path):
    """Held by a finished task: the main task waits for `lock`, acquired by Task-2 with acquire()
    at line 9; Task-2 has finished with Exception("Something bad happened") and never released
    it. The event loop has nothing else to run: the program can never make progress."""
    src = "asyncio_lock_not_released.py"
    for obs in seed(python, pyhang, src, tmp_path):
        check_common(obs, "deadlock")
        check_task_json(obs)
        assert [f["kind"] for f in obs.findings] == ["held-by-finished-task"], obs.describe()
        f = obs.findings[0]
        p = participant(obs, f, "Task-1")
        check_at(p, src, 19, "main")
        assert p["waits_for"]["names"] == ["lock"] and p["waits_for"]["how"] == "acquire()", p
        text = "\n".join(f["explanation"])
        assert ('which no pending task holds: Task "Task-2" (task) acquired it with acquire() at '
                'asyncio_lock_not_released.py:9 in task') in text, text
        assert "has finished with Exception('Something bad happened') without releasing it" in text, text
        assert "the program can never make progress." in text, text
        assert obs.verdict_line == ('Verdict: DEADLOCK (held-by-finished-task): Task "Task-1" (main) waits for '
                                    'asyncio.Lock lock, held by Task "Task-2" (task) which has finished with '
                                    "Exception('Something bad happened').")
        gone = obs.tasks["Task-2"]
        assert gone["address"] is None and gone["state"] == "finished", gone
        assert gone["exception"] == "Exception('Something bad happened')" and gone["acquire_lines"] == [9], gone
        assert "Asyncio tasks that have finished (no longer in memory):" in obs.text
    check_core_equals_live(*seed(python, pyhang, src, tmp_path))


# --------------------------------------------------------------------------------------------
# More hangs


def test_lock_twice_on_every_version(python, pyhang, tmp_path):
    """The self-deadlock of the seed, in a program every interpreter runs (3.6 has neither
    asyncio.run nor task names): live and from a core, with exact lines. Before 3.8 a task has no
    name, so it is shown by address."""
    src = "aio_lock_twice_compat.py"
    live, core = observe(python, pyhang, src, tmp_path, core=True)
    for obs in (live, core):
        check_common(obs, "deadlock")
        check_task_json(obs)
        assert [f["kind"] for f in obs.findings] == ["self-deadlock"], obs.describe()
        (task,) = obs.proc["tasks"]
        name = "Task-1" if python.version >= (3, 8) else f"<task at 0x{task['address']:x}>"
        assert task["name"] == name and task["coroutine"] == "hold", task
        assert [frame_fn(f) for f in task["coroutine_stack"]][:2] == [
            (src, line(src, "hold_await"), "hold"), (src, line(src, "take_again"), "take_again")], task
        p = participant(obs, obs.findings[0], name)
        check_at(p, src, line(src, "take_again"), "take_again")
        assert p["waits_for"]["kind"] == "asyncio-lock" and "lock" in waits_names(p), p
        holds = [(h["how"], Path(h["since"]["file"]).name, h["since"]["line"], h["since"]["function"])
                 for h in p["holds"]]
        assert holds == [("async with", src, line(src, "hold"), "hold")], holds
    check_core_equals_live(live, core)


def single_finding(obs: Obs, kind: str) -> Dict[str, Any]:
    assert [f["kind"] for f in obs.findings] == [kind], obs.describe()
    return obs.findings[0]


def test_join_cycle(python, pyhang, tmp_path):
    """main holds cache_lock and awaits the task "flusher", which waits for cache_lock."""
    src = "aio_join_cycle.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    flusher = "flusher"
    f = single_finding(obs, "join-cycle")
    main = participant(obs, f, "Task-1")
    check_at(main, src, line(src, "parent_wait"), "main")
    assert [(h["object"]["names"][0], h["since"]["line"]) for h in main["holds"]] == [("cache_lock", line(src, "parent_hold"))]
    child = participant(obs, f, flusher)
    check_at(child, src, line(src, "child_wait"), "flush_cache")
    assert child["waits_for"]["names"][0] == "cache_lock" and child["held_by"] == 'Task "Task-1" (main)', child
    assert '  Task "Task-1" (main) awaits Task "flusher" (flush_cache)' in f["explanation"]
    assert f"    which is held by Task \"Task-1\" (main) since {src}:{line(src, 'parent_hold')} in main" in f["explanation"]


def test_taskgroup_join_cycle(python, pyhang, tmp_path):
    """main holds ledger_lock while its TaskGroup waits for writer-1 and writer-2, which need it:
    one finding with the three tasks (3.11+)."""
    if python.version < (3, 11):
        pytest.skip("asyncio.TaskGroup is new in 3.11")
    src = "aio_taskgroup_join.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "join-cycle")
    assert sorted(p["task"] for p in f["participants"]) == ["Task-1", "writer-1", "writer-2"], f
    main = obs.tasks["Task-1"]
    assert main["awaits"]["kind"] == "taskgroup", main["awaits"]
    assert sorted(c["name"] for c in main["awaits"]["children"]) == ["writer-1", "writer-2"]
    check_at(participant(obs, f, "Task-1"), src, line(src, "main_wait"), "main")
    for w in ("writer-1", "writer-2"):
        p = participant(obs, f, w)
        check_at(p, src, line(src, "writer_wait"), "write_entry")
        assert p["waits_for"]["names"][0] == "ledger_lock" and p["held_by"] == 'Task "Task-1" (main)'
    assert f["explanation"][0].startswith("Found a deadlock (join cycle) between 3 tasks of the event loop in Thread ")


def test_queue_join_missing_task_done(python, pyhang, tmp_path):
    """main waits in jobs.join() (one item never task_done()), the consumer in jobs.get(); nothing
    can run again: all-blocked."""
    src = "aio_queue_join.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "all-blocked")
    main = participant(obs, f, "Task-1")
    check_at(main, src, line(src, "main_wait"), "main")
    assert main["waits_for"]["operation"] == "queue-join" and main["waits_for"]["names"][0] == "jobs"
    consumer = participant(obs, f, "Task-2")
    check_at(consumer, src, line(src, "consumer_wait"), "consume")
    assert consumer["waits_for"]["operation"] == "queue-get"
    assert ('  Task "Task-1" (main) waits until every item of queue jobs <asyncio.queues.Queue at 0x'
            in "\n".join(f["explanation"]))
    assert "is task_done() (1 not done)" in "\n".join(f["explanation"])
    assert f["explanation"][0] == (f'Found a hang (all tasks blocked): the event loop in Thread '
                                   f'{obs.thread_tid("MainThread")} "MainThread" can never run again.')


def test_event_never_set(python, pyhang, tmp_path):
    """Two workers wait for service.config_loaded, which the crashed loader never set; main waits
    for them in gather()."""
    src = "aio_event_never_set.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "all-blocked")
    workers = [n for n, t in obs.pending.items() if t["coroutine"].endswith("work")]
    assert len(workers) == 2, obs.pending.keys()
    for w in workers:
        p = participant(obs, f, w)
        check_at(p, src, line(src, "worker_wait"), "work")
        assert p["waits_for"]["kind"] == "asyncio-event" and "service.config_loaded" in p["waits_for"]["names"], p
    main = obs.tasks["Task-1"]
    assert main["awaits"]["kind"] == "gather" and sorted(c["name"] for c in main["awaits"]["children"]) == sorted(workers)


def test_three_task_await_cycle(python, pyhang, tmp_path):
    src = "aio_three_cycle.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "await-cycle")
    assert sorted(p["task"] for p in f["participants"]) == ["stage-a", "stage-b", "stage-c"], f
    for p in f["participants"]:
        check_at(p, src, line(src, "stage_wait"), "stage")
    assert [b["task"] for b in f["bystanders"]] == ["Task-1"]
    assert "  Task \"stage-c\" (stage) awaits Task \"stage-a\" (stage)" in f["explanation"]
    assert obs.verdict_line == ("Verdict: DEADLOCK (await-cycle): 3 tasks await each other in a cycle; "
                                "1 more task is stuck behind.")


def test_three_lock_order_cycle(python, pyhang, tmp_path):
    src = "aio_lock_order3.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "lock-order-cycle")
    expect = {"mover-1": ("lock_a", "lock_b"), "mover-2": ("lock_b", "lock_c"), "mover-3": ("lock_c", "lock_a")}
    for name, (held, wanted) in expect.items():
        p = participant(obs, f, name)
        check_at(p, src, line(src, "mover_wait"), "move")
        assert p["waits_for"]["names"][0] == wanted and [h["object"]["names"][0] for h in p["holds"]] == [held], p
        assert [h["since"]["line"] for h in p["holds"]] == [line(src, "mover_hold")]
    assert [b["task"] for b in f["bystanders"]] == ["Task-1"]
    assert obs.tasks["Task-1"]["awaits"]["kind"] == "wait"


def test_lock_order_with_explicit_acquire(python, pyhang, tmp_path):
    """Holds taken with `await lock.acquire()` (no `async with`) are inferred from the source."""
    src = "aio_acquire_order.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "lock-order-cycle")
    for name, held, wanted in (("reader", "index_lock", "data_lock"), ("writer", "data_lock", "index_lock")):
        p = participant(obs, f, name)
        check_at(p, src, line(src, "wait"), "locked_pair")
        assert p["waits_for"]["names"][0] == wanted, p
        assert [(h["object"]["names"][0], h["how"], h["since"]["line"]) for h in p["holds"]] == \
            [(held, "acquire() (from the source)", line(src, "hold"))], p["holds"]
    assert any(s.endswith("(acquire(), inferred from the source)") for s in f["explanation"]), f["explanation"]


def test_to_thread_blocked_worker(python, pyhang, tmp_path):
    """The only task awaits a function run in an executor thread, which waits for a
    threading.Event forever: the loop can never run again."""
    src = "aio_to_thread.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "all-blocked")
    t = obs.tasks["Task-1"]
    assert t["awaits"]["kind"] == "executor", t["awaits"]
    worker = [th for th in obs.proc["threads"] if any(fr.get("function") == "blocking_load" for fr in th["frames"])]
    assert len(worker) == 1 and t["awaits"]["worker_thread"] == worker[0]["tid"], (t["awaits"], worker)
    marker = "main_wait" if python.version >= (3, 9) else "main_wait_38"
    check_at(participant(obs, f, "Task-1"), src, line(src, marker), "main")
    assert any(s.startswith(f"    and Thread {worker[0]['tid']} ") for s in f["explanation"]), f["explanation"]
    # The executor's thread is part of the hang: a participant, at its own wait.
    parts = [p for p in f["participants"] if not p["task"] and p["tid"] == worker[0]["tid"]]
    assert len(parts) == 1, f["participants"]
    check_at(parts[0], src, line(src, "worker_wait"), "blocking_load")
    assert f["fix"].startswith("no thread will call gate.set()"), f["fix"]


def test_condition_never_notified(python, pyhang, tmp_path):
    src = "aio_condition.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "all-blocked")
    consumers = [n for n, t in obs.pending.items() if t["coroutine"] == "consume"]
    assert len(consumers) == 2
    for c in consumers:
        p = participant(obs, f, c)
        check_at(p, src, line(src, "consumer_wait"), "consume")
        assert p["waits_for"]["kind"] == "asyncio-condition" and p["waits_for"]["names"][0] == "cond", p
        # cond.wait() released the condition's lock: the consumers do not hold it.
        assert obs.tasks[c]["holds"] == [], obs.tasks[c]["holds"]


def test_semaphore_exhausted(python, pyhang, tmp_path):
    src = "aio_semaphore.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "all-blocked")
    users = {n: t for n, t in obs.pending.items() if t["coroutine"] == "use_connection"}
    holders = [n for n, t in users.items() if t["holds"]]
    waiters = [n for n, t in users.items() if t["awaits"]["kind"] == "semaphore"]
    assert len(holders) == 1 and len(waiters) == 2, users
    assert obs.tasks[holders[0]]["holds"][0]["object"]["names"][0] == "pool"
    assert obs.tasks[holders[0]]["awaits"]["kind"] == "event"
    for w in waiters:
        check_at(participant(obs, f, w), src, line(src, "pool_enter"), "use_connection")
    assert "waits to acquire semaphore pool <asyncio.locks.Semaphore at 0x" in "\n".join(f["explanation"])


def test_eager_tasks(python, pyhang, tmp_path):
    """Tasks created by eager_task_factory (3.12+) are found and their await cycle diagnosed."""
    if python.version < (3, 12):
        pytest.skip("eager tasks are new in 3.12")
    src = "aio_eager.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "await-cycle")
    assert sorted(p["task"] for p in f["participants"]) == ["eager-1", "eager-2"]
    for p in f["participants"]:
        check_at(p, src, line(src, "await_other"), "wait_for")


def test_loops_in_two_threads(python, pyhang, tmp_path):
    """Each task is attributed to the thread running its loop; the await cycle in loop-a is found,
    the sleeping task of loop-b is not deadlocked."""
    src = "aio_threads_loops.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    a, b = obs.thread_tid("loop-a"), obs.thread_tid("loop-b")
    assert sorted(l["thread"] for l in obs.proc["event_loops"]) == sorted([a, b])
    f = single_finding(obs, "await-cycle")
    names = sorted(p["task"] for p in f["participants"])
    assert len(names) == 2 and "partner" in names, f["participants"]
    for p in f["participants"]:
        assert p["tid"] == a and p["thread"] == "loop-a", p
        check_at(p, src, line(src, "await_other"), "wait_for")
    assert [(b["thread"], b["task"]) for b in f["bystanders"]] == [("MainThread", None)], f["bystanders"]
    check_at(f["bystanders"][0], src, line(src, "join"), "<module>")
    assert obs.verdict_line == ("Verdict: DEADLOCK (await-cycle): 2 tasks await each other in a cycle; "
                                "1 more thread is stuck behind."), obs.describe()
    sleepers = [t for t in obs.pending.values() if t["coroutine"] == "sleepy"]
    assert len(sleepers) == 1 and sleepers[0]["thread"] == b and sleepers[0]["awaits"]["kind"] == "sleep"
    assert sleepers[0]["awaits"]["timeout"] and 3000 < sleepers[0]["awaits"]["fires_in"] <= 3600
    check_loop_section(obs, "loop-a")
    check_loop_section(obs, "loop-b")


def test_coroutine_blocks_loop_thread_on_threading_lock(python, pyhang, tmp_path):
    """Mixed case: "reporter" holds state_lock and waits for run_coroutine_threadsafe(...).result();
    the loop's thread is blocked in `with state_lock:` inside the task's coroutine, so the loop
    never starts the coroutine: a join cycle between the thread and the loop."""
    src = "aio_mixed_threadsafe.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "deadlock")
    check_task_json(obs)
    f = single_finding(obs, "join-cycle")
    main, reporter = obs.thread_tid("MainThread"), obs.thread_tid("reporter")
    assert f["explanation"][0] == (f'Found a deadlock (join cycle) between Thread {reporter} "reporter" and the event '
                                   f'loop in Thread {main} "MainThread":'), f["explanation"]
    w = [p for p in f["participants"] if p["tid"] == reporter][0]
    check_at(w, src, line(src, "worker_wait"), "reporter")
    assert w["waits_for"]["operation"] == "future-result" and w["task"] is None
    assert [(h["object"]["names"][0], h["since"]["line"]) for h in w["holds"]] == [("state_lock", line(src, "worker_hold"))]
    l = [p for p in f["participants"] if p["tid"] == main][0]
    check_at(l, src, line(src, "loop_blocks"), "update_state")
    assert l["task"] == "Task-1" and l["waits_for"]["names"][0] == "state_lock" and l["waits_for"]["operation"] == "acquire"
    task = obs.tasks["Task-1"]
    assert task["state"] == "running" and task["awaits"]["kind"] == "running"
    assert [fr["function"] for fr in task["coroutine_stack"]] == ["main", "update_state"]
    assert obs.proc["event_loops"][0]["ready_callbacks"] == 1


# --------------------------------------------------------------------------------------------
# Not deadlocked


def test_sleeping_task_is_not_deadlocked(python, pyhang, tmp_path):
    src = "aio_sleeping.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "no-deadlock")
    check_task_json(obs)
    assert obs.findings == []
    nap = [t for t in obs.pending.values() if t["coroutine"] == "nap"][0]
    assert nap["awaits"]["kind"] == "sleep" and 3000 < nap["awaits"]["fires_in"] <= 3600, nap["awaits"]
    assert [frame_fn(f)[2] for f in nap["coroutine_stack"]] == ["nap", "sleep"], nap["coroutine_stack"]
    assert nap["coroutine_stack"][0]["line"] == line(src, "sleep")
    assert any(n.startswith(f'Task "{nap["name"]}" (nap) sleeps for ') for n in obs.doc["diagnosis"]["notes"])
    loop = obs.proc["event_loops"][0]
    assert loop["timers"] == 1 and loop["ready_callbacks"] == 0 and [fd["wakeup"] for fd in loop["fds"]] == [True]
    check_loop_section(obs)


def test_idle_server_is_not_deadlocked(python, pyhang, tmp_path):
    src = "aio_idle_server.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "no-deadlock")
    check_task_json(obs)
    assert obs.findings == []
    serving = [t for t in obs.pending.values() if t["coroutine"].endswith("serve_forever")]
    assert len(serving) == 1 and serving[0]["awaits"]["kind"] == "io", serving
    loop = obs.proc["event_loops"][0]
    listening = [fd for fd in loop["fds"] if fd["callback"] == "_accept_connection"]
    assert len(listening) == 1 and serving[0]["awaits"]["fd"] == listening[0]["fd"], (serving, loop)
    handler = [t for t in obs.pending.values() if t["coroutine"] == "handle"][0]
    assert handler["awaits"]["kind"] == "io" and handler["awaits"]["fd"] in [fd["fd"] for fd in loop["fds"]]
    assert any("a listening socket" in n for n in obs.doc["diagnosis"]["notes"]), obs.describe()


def test_task_tree_is_not_deadlocked(python, pyhang, tmp_path):
    src = "aio_tree.py"
    obs, _ = observe(python, pyhang, src, tmp_path)
    check_common(obs, "no-deadlock")
    check_task_json(obs)
    main = obs.tasks["Task-1"]
    assert main["awaits"]["kind"] == "gather" and len(main["awaits"]["children"]) == 3
    section = check_loop_section(obs)
    assert section[1].startswith("└── (T) Task-1 (main) [pending]"), section


# --------------------------------------------------------------------------------------------
# Python 3.14: the same tasks and await graph as `python3.14 -m asyncio ps` / `pstree`

# Not aio_threads_loops.py: 3.14.10's `ps`/`pstree` (_remote_debugging.get_all_awaited_by) only
# report the tasks of the main thread's list, and none of the loops running in other threads.
PSTREE_PROGRAMS = ["aio_tree.py", "asyncio_lock_order.py", "aio_taskgroup_join.py", "aio_three_cycle.py",
                   "asyncio_await_each_other.py", "asyncio_lock_twice.py", "aio_idle_server.py", "aio_eager.py"]


def parse_ps(out: str) -> List[Tuple[int, int, str, int]]:
    """Rows (tid, task id, task name, awaiter id) of `python -m asyncio ps`."""
    rows = []
    for s in out.splitlines():
        m = re.match(r"^(\d+)\s+(0x[0-9a-f]+)\s+(\S+)\s.*\s(0x[0-9a-f]+)\s*$", s)
        if m:
            rows.append((int(m.group(1)), int(m.group(2), 16), m.group(3), int(m.group(4), 16)))
    return rows


def parse_pstree(out: str) -> Dict[str, List[str]]:
    """{task name: [task names it awaits]} from the tree `python -m asyncio pstree` prints."""
    edges: Dict[str, List[str]] = {}
    stack: List[Tuple[int, str]] = []  # (depth, task name) of the enclosing task nodes
    for s in out.splitlines():
        m = re.match(r"^([ │├└─]*)[├└]── \(T\) (.+)$", s)
        if not m:
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        edges.setdefault(name, [])
        if stack:
            edges[stack[-1][1]].append(name)
        stack.append((depth, name))
    return edges


PYTHONS_314 = [i for i in INTERPRETERS if i.version[:2] >= (3, 14)]  # `python -m asyncio ps` is 3.14+


@pytest.mark.parametrize("python314", PYTHONS_314, ids=[i.id for i in PYTHONS_314])
@pytest.mark.parametrize("program", PSTREE_PROGRAMS)
def test_314_agrees_with_asyncio_ps_and_pstree(python314, pyhang, program):
    python = python314
    with hung_program(python, program_path(program)) as prog:
        doc, proc = pyhang_json(pyhang, "remote", prog.pid, with_proc=True)
        settle_asleep(prog.pid)
        ps = subprocess.run([python.path, "-m", "asyncio", "ps", str(prog.pid)], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
        tree = subprocess.run([python.path, "-m", "asyncio", "pstree", str(prog.pid)], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert ps.returncode == 0, ps.stdout + ps.stderr
    tasks = [t for t in doc["processes"][0]["tasks"] if t["state"] in ("pending", "running")]
    rows = parse_ps(ps.stdout)
    assert rows, ps.stdout
    # The same tasks: address, name and the thread running their loop.
    ours = sorted((t["thread"], t["address"], t["name"]) for t in tasks)
    theirs = sorted({(tid, addr, name) for tid, addr, name, _ in rows})
    assert ours == theirs, f"{ours}\n{theirs}\n{ps.stdout}"
    # The same awaited_by edges.
    ours_by = sorted((t["address"], a["address"]) for t in tasks for a in t["awaited_by"])
    theirs_by = sorted({(addr, by) for _, addr, _, by in rows if by})
    assert ours_by == theirs_by, f"{ours_by}\n{theirs_by}\n{ps.stdout}"
    cycles = [f for f in doc["diagnosis"]["findings"] if f["kind"] == "await-cycle"]
    if tree.returncode == 1:
        # pstree refuses cycles; pyhang reports the same cycle as a finding.
        assert "ERROR: await-graph contains cycles - cannot print a tree!" in tree.stderr, tree.stderr
        theirs_cycles = [set(s[len("cycle: "):].split(" → ")) for s in tree.stderr.splitlines() if s.startswith("cycle: ")]
        ours_cycles = [{p["task"] for p in f["participants"]} for f in cycles]
        assert theirs_cycles and all(c in ours_cycles for c in theirs_cycles), (tree.stderr, ours_cycles)
        return
    assert tree.returncode == 0 and not cycles, tree.stdout + tree.stderr
    edges = parse_pstree(tree.stdout)
    by_addr = {t["address"]: t["name"] for t in tasks}
    ours_edges = {t["name"]: sorted(by_addr[c] for c in children_of(t) if c in by_addr) for t in tasks}
    assert {k: sorted(v) for k, v in edges.items()} == ours_edges, f"{edges}\n{ours_edges}\n{tree.stdout}"


def children_of(task: Dict[str, Any]) -> List[int]:
    a = task["awaits"] or {}
    out = [c["address"] for c in a.get("children", [])]
    if a.get("kind") == "task":
        out.append(a["address"])
    return out
