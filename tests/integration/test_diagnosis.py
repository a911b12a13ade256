"""Exact diagnoses of hung programs, on every interpreter.

The programs are tests/programs/hang_*.py (with their helper modules bank.py, replicas.py,
metrics.py, registry.py, jobboard.py, audit.py, txn.py and _hangkit.py) and the two thread seed
scenarios of tests/scenarios. Each program is started once per interpreter; pyhang reads it once
as text and once as JSON (the `observe` cache), and every test of that program checks that one
start. The tests assert what a correct diagnosis says: the verdict and exit code, the kind of
each finding, its participants (thread names, where each waits: file/line/function, what it
waits for with the program's names for it, what it holds and since which line, who holds what it
waits for) and the threads stuck behind it (bystanders); and a few things of the text report
(the "Found a ..." header, the "Verdict:" last line, the ">>> waiting to acquire" annotation).

Where pyhang is wrong or misleading, the test still asserts the correct diagnosis and is marked
xfail(strict=True) with the reason: such a test turns into a failure (XPASS) once pyhang is
fixed, so the mark must then be removed.

Lines are found through `# LINE:<name>` markers in the programs.
"""
from __future__ import annotations

import contextlib
import functools
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import pytest

from conftest import (
    take_gcore,
    _merged_env,
    settle_asleep,
    PROGRAMS_DIR,
    SCENARIOS_DIR,
    HungProgram,
    Interp,
    hung_program,
    kill_process_group,
    pyhang_json,
    run_pyhang,
)

# --------------------------------------------------------------------------------------------
# Program sources


def program_path(name: str) -> Path:
    """A program or helper module of tests/programs, or a seed of tests/scenarios."""
    for d in (PROGRAMS_DIR, SCENARIOS_DIR):
        if (d / name).is_file():
            return (d / name).resolve()
    raise AssertionError(f"no program {name}")


@functools.lru_cache(maxsize=None)
def markers(name: str) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for number, text in enumerate(program_path(name).read_text(encoding="utf-8").splitlines(), 1):
        m = re.search(r"#\s*LINE:(\w+)", text)
        if m:
            assert m.group(1) not in found, f"marker {m.group(1)} twice in {name}"
            found[m.group(1)] = number
    return found


def line(name: str, marker: str) -> int:
    try:
        return markers(name)[marker]
    except KeyError:
        raise AssertionError(f"no `# LINE:{marker}` in {name}") from None


def source_line(path: str, after: str, text: str) -> int:
    """The number of the first line containing `text` after the first line containing `after`
    (for lines of the interpreter's own standard library, which differ between versions)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = next(i for i, s in enumerate(lines) if after in s)
    return next(i for i in range(start, len(lines)) if text in lines[i]) + 1


# --------------------------------------------------------------------------------------------
# Observing a program: started once per interpreter, read once as text and once as JSON


@dataclass
class Observation:
    interp: Interp
    program: str
    args: Tuple[str, ...]
    pid: int
    text: str
    text_rc: int
    text_stderr: str
    doc: Dict[str, Any]
    json_rc: int
    output: str  # the program's own stdout+stderr

    @property
    def diagnosis(self) -> Dict[str, Any]:
        return self.doc["diagnosis"]

    @property
    def findings(self) -> List[Dict[str, Any]]:
        return self.diagnosis["findings"]

    @property
    def threads(self) -> Dict[str, Dict[str, Any]]:
        """The target's threads by name (the programs name every thread uniquely)."""
        return {t["name"]: t for t in self.doc["processes"][0]["threads"]}

    def tid(self, name: str) -> int:
        assert name in self.threads, f"no thread {name!r} in {sorted(self.threads)}\n{self.describe()}"
        return self.threads[name]["tid"]

    def label(self, name: str) -> str:
        """How pyhang names a thread in the diagnosis: 'Thread 123 "teller-1"'."""
        return f'Thread {self.tid(name)} "{name}"'

    def describe(self) -> str:
        return (f"--- pyhang {self.interp.id} on {self.program} {' '.join(self.args)} "
                f"(exit {self.text_rc}) ---\n{self.text}{self.text_stderr}")


_OBSERVED: Dict[Tuple[str, str, Tuple[str, ...]], Observation] = {}


@contextlib.contextmanager
def running_program(python: Interp, script: str, *args: str, settle: float = 0.3) -> Iterator[HungProgram]:
    """Like conftest.hung_program for programs that never fall asleep (busy threads): start the
    program in its own process group, wait for READY, let it run `settle` seconds, yield, and
    kill the group."""
    env = _merged_env(None, for_python=True)
    argv = [python.path, str(program_path(script)), *args]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    program = HungProgram(proc, argv)
    try:
        if not program._ready.wait(30):
            pytest.fail(f"{script} did not print READY\n{program._describe()}", pytrace=False)
        time.sleep(settle)
        if proc.poll() is not None:
            pytest.fail(f"{script} exited after READY\n{program._describe()}", pytrace=False)
        yield program
    finally:
        kill_process_group(program.pgid, proc)
        program._reader.join(5)
        if proc.stdout:
            proc.stdout.close()



def observe(python: Interp, pyhang: str, program: str, *args: str, busy: bool = False) -> Observation:
    key = (python.id, program, tuple(args))
    if key not in _OBSERVED:
        start = running_program if busy else hung_program
        with start(python, program_path(program), *args) as prog:
            text = run_pyhang(pyhang, "remote", prog.pid)
            if not busy:
                settle_asleep(prog.pid)
            doc, proc = pyhang_json(pyhang, "remote", prog.pid, with_proc=True)
            output = prog.output_so_far
        _OBSERVED[key] = Observation(python, program, tuple(args), prog.pid, text.stdout, text.returncode,
                                     text.stderr, doc, proc.returncode, output)
    return _OBSERVED[key]


# --------------------------------------------------------------------------------------------
# Expectations

ANY = object()  # a field the test does not check (the reason is given where it is used)
NOWHERE = {"file": "", "line": 0, "function": ""}  # `since` of a hold no frame shows


@dataclass(frozen=True)
class At:
    """A line of a program file: `mark` is a `# LINE:` marker or a line number."""
    file: str
    mark: Union[str, int]
    function: str

    def location(self) -> Dict[str, Any]:
        number = self.mark if isinstance(self.mark, int) else line(self.file, self.mark)
        return {"file": str(program_path(self.file)), "line": number, "function": self.function}


@dataclass(frozen=True)
class Stdlib:
    """A line of the interpreter's standard library: the file ends with `suffix`; the line is
    the first containing `text` after the first containing `after`."""
    suffix: str
    function: str
    after: str
    text: str

    def matches(self, loc: Dict[str, Any]) -> bool:
        return (loc["file"].endswith(self.suffix) and loc["function"] == self.function
                and loc["line"] == source_line(loc["file"], self.after, self.text))


@dataclass
class W:
    """What a thread waits for: the object's kind and names, and the wait."""
    kind: str
    names: Any  # the exact set of names, or ANY
    op: str
    how: Any = ANY
    thread: Optional[str] = None  # for joins: the name of the thread joined
    timeout: bool = False


@dataclass
class H:
    kind: str
    names: Any
    how: str
    since: Any  # At, Stdlib, NOWHERE or ANY


@dataclass
class P:
    """A participant or bystander. holds: the exact list (any order) or ANY; holds_include: holds
    that must be among them (used where `holds` cannot be exact, see the xfail tests)."""
    at: Any
    waits: W
    holds: Any = field(default_factory=list)
    holds_include: List[H] = field(default_factory=list)
    held_by: Any = None  # a thread name, None (null), or ANY (one of a tuple of names: tuple)


@dataclass
class F:
    kind: str
    participants: Dict[str, P]
    bystanders: Dict[str, P] = field(default_factory=dict)
    explanation: Sequence[str] = ()  # fragments the explanation must contain


class Mismatch(list):
    def check(self, cond: bool, message: str) -> None:
        if not cond:
            self.append(message)


def _loc_ok(spec: Any, loc: Dict[str, Any]) -> bool:
    if spec is ANY:
        return True
    if isinstance(spec, At):
        return loc == spec.location()
    if isinstance(spec, Stdlib):
        return spec.matches(loc)
    return loc == spec


def _loc_text(spec: Any) -> str:
    return str(spec.location()) if isinstance(spec, At) else repr(spec)


def _hold_ok(spec: H, h: Dict[str, Any]) -> bool:
    o = h["object"]
    return (o.get("kind") == spec.kind and (spec.names is ANY or set(o.get("names", [])) == set(spec.names))
            and h["how"] == spec.how and _loc_ok(spec.since, h["since"]))


def check_participant(obs: Observation, who: str, actual: Dict[str, Any], spec: P, errors: Mismatch) -> None:
    where = f"{who} {actual['thread']!r}"
    errors.check(actual["pid"] == obs.pid, f"{where}: pid {actual['pid']} != {obs.pid}")
    errors.check(actual["tid"] == obs.tid(actual["thread"]), f"{where}: tid {actual['tid']} is not the thread's")
    errors.check(_loc_ok(spec.at, actual["at"]), f"{where}: at {actual['at']} != {_loc_text(spec.at)}")
    w = actual["waits_for"]
    if w is None:
        errors.append(f"{where}: waits for nothing, expected {spec.waits}")
    else:
        exp = spec.waits
        errors.check(w.get("kind") == exp.kind, f"{where}: waits for a {w.get('kind')}, expected a {exp.kind}")
        if exp.names is not ANY:
            errors.check(set(w.get("names", [])) == set(exp.names),
                         f"{where}: waited-for names {w.get('names')} != {sorted(exp.names)}")
        errors.check(w["operation"] == exp.op, f"{where}: operation {w['operation']} != {exp.op}")
        if exp.how is not ANY:
            errors.check(w["how"] == exp.how, f"{where}: how {w['how']!r} != {exp.how!r}")
        errors.check(w["timeout"] is exp.timeout, f"{where}: timeout {w['timeout']} != {exp.timeout}")
        errors.check(w["certain"] is True, f"{where}: the wait is not certain")
        if exp.thread is not None:
            errors.check(w.get("thread", {}).get("name") == exp.thread,
                         f"{where}: joins {w.get('thread')}, expected thread {exp.thread!r}")
            errors.check(w.get("thread", {}).get("ident") == obs.threads.get(exp.thread, {}).get("ident"),
                         f"{where}: joined thread ident {w.get('thread')} is not {exp.thread!r}'s")
    holds = actual["holds"]
    if spec.holds is not ANY:
        unmatched = list(holds)
        for h in spec.holds:
            hit = next((a for a in unmatched if _hold_ok(h, a)), None)
            if hit is None:
                errors.append(f"{where}: no hold matching {h} among {holds}")
            else:
                unmatched.remove(hit)
        errors.check(not unmatched, f"{where}: unexpected holds {unmatched}")
    for h in spec.holds_include:
        errors.check(any(_hold_ok(h, a) for a in holds), f"{where}: no hold matching {h} among {holds}")
    if spec.held_by is not ANY:
        if spec.held_by is None:
            errors.check(actual["held_by"] is None, f"{where}: held_by {actual['held_by']!r}, expected null")
        else:
            names = spec.held_by if isinstance(spec.held_by, tuple) else (spec.held_by,)
            errors.check(actual["held_by"] in [obs.label(n) for n in names],
                         f"{where}: held_by {actual['held_by']!r}, expected one of {names}")


def check_findings(obs: Observation, expected: Sequence[F]) -> None:
    errors = Mismatch()
    kinds = [f["kind"] for f in obs.findings]
    errors.check(kinds == [f.kind for f in expected], f"finding kinds {kinds} != {[f.kind for f in expected]}")
    for actual, spec in zip(obs.findings, expected):
        for role, specs in (("participants", spec.participants), ("bystanders", spec.bystanders)):
            got = {p["thread"]: p for p in actual[role]}
            errors.check(len(got) == len(actual[role]), f"{role}: a thread is listed twice")
            errors.check(set(got) == set(specs), f"{spec.kind} {role}: {sorted(got)} != {sorted(specs)}")
            for name, p in specs.items():
                if name in got:
                    check_participant(obs, role[:-1], got[name], p, errors)
        text = "\n".join(actual["explanation"])
        for fragment in spec.explanation:
            errors.check(fragment in text, f"{spec.kind}: explanation lacks {fragment!r}")
    assert not errors, "\n".join(errors) + "\n" + obs.describe()


HEADERS = {
    "lock-order-cycle": "Found a deadlock (lock-order cycle) between {n} threads:",
    "join-cycle": "Found a deadlock (join cycle) between {n} threads:",
    "self-deadlock": "Found a deadlock (self-deadlock) in {first}:",
    "gc-reentrancy": "Found a deadlock (re-entrancy through the garbage collector) in {first}:",
    "held-by-dead-thread": "Found a deadlock (lock held by a thread that has exited):",
    "all-blocked": "Found a hang (all threads blocked): none of the {n} threads can make progress.",
}


def text_lines(obs: Observation) -> List[str]:
    return obs.text.rstrip("\n").splitlines()


def check_text(obs: Observation) -> None:
    """The text report agrees with the JSON one: exit codes, each finding's header and
    explanation (in order), each participant named by tid and name, the verdict last."""
    lines = text_lines(obs)
    diag = obs.diagnosis
    expected_rc = 1 if diag["verdict"] == "deadlock" else 0
    assert (obs.text_rc, obs.json_rc) == (expected_rc, expected_rc), obs.describe()
    assert lines[-1] == diag["summary"], obs.describe()
    if diag["verdict"] == "deadlock":
        kinds = ", ".join(dict.fromkeys(f["kind"] for f in obs.findings))
        assert lines[-1].startswith(f"Verdict: DEADLOCK ({kinds}): "), obs.describe()
    else:
        assert lines[-1] == "Verdict: no deadlock found.", obs.describe()
        assert not [s for s in lines if s.startswith("Found a ")], obs.describe()
    position = 0
    for f in obs.findings:
        first = f["participants"][0]
        header = HEADERS[f["kind"]].format(n=len(f["participants"]), first=obs.label(first["thread"]))
        if f["kind"] == "all-blocked" and len(f["participants"]) == 1:
            header = "Found a hang (all threads blocked): the only thread cannot make progress."
        # A forked child's lock held by a thread of its parent, which is in the report too.
        forked = "Found a deadlock (lock held at fork time by a thread of the parent):"
        assert f["explanation"][0] == header or (f["kind"] == "held-by-dead-thread" and f["explanation"][0] == forked), \
            obs.describe()
        for text in f["explanation"]:
            assert text in lines[position:], f"{text!r} not in the text report (in order)\n{obs.describe()}"
            position = lines.index(text, position) + 1
        for p in f["participants"] + f["bystanders"]:
            assert obs.label(p["thread"]) in "\n".join(f["explanation"]), obs.describe()


def annotations(obs: Observation, thread: str, loc: Dict[str, Any]) -> List[str]:
    """The `>>>` notes printed under the frame `loc` (file, line, function) of `thread`."""
    notes: List[str] = []
    in_thread = in_frame = False
    frame = f'    (Python) File "{loc["file"]}", line {loc["line"]}, in {loc["function"]}'
    for s in text_lines(obs):
        if s.startswith("Traceback for thread "):
            in_thread = s.startswith(f"Traceback for thread {obs.tid(thread)} ({thread})")
            in_frame = False
        elif s.startswith("    (Python) ") or s.startswith("    (C) ") or s.startswith("    <"):
            in_frame = in_thread and s == frame
        elif in_frame and s.startswith("        >>> "):
            notes.append(s[len("        >>> "):])
    return notes


def check_acquire_annotations(obs: Observation) -> None:
    """Every participant that waits to acquire a lock has a `>>> waiting to acquire` note under
    the frame where it waits."""
    for f in obs.findings:
        for p in f["participants"] + f["bystanders"]:
            if p["waits_for"] and p["waits_for"]["operation"] == "acquire":
                notes = annotations(obs, p["thread"], p["at"])
                assert any(n.startswith("waiting to acquire ") for n in notes), (
                    f"no '>>> waiting to acquire' under {p['thread']} at {p['at']}: {notes}\n{obs.describe()}")


def check_deadlock(obs: Observation, expected: Sequence[F]) -> None:
    assert obs.diagnosis["verdict"] == "deadlock", obs.describe()
    check_findings(obs, expected)
    check_text(obs)
    check_acquire_annotations(obs)


def check_no_deadlock(obs: Observation) -> None:
    assert obs.diagnosis["verdict"] == "no-deadlock", obs.describe()
    assert obs.findings == [], obs.describe()
    check_text(obs)
    # Every thread is accounted for in the notes, by tid and name.
    for name in obs.threads:
        assert any(n.startswith(obs.label(name) + " ") for n in obs.diagnosis["notes"]), (
            f"no note for {name}\n{obs.describe()}")


def note_of(obs: Observation, name: str) -> str:
    found = [n for n in obs.diagnosis["notes"] if n.startswith(obs.label(name) + " ")]
    assert len(found) == 1, f"notes for {name}: {found}\n{obs.describe()}"
    return found[0]


def participant(obs: Observation, name: str, finding: int = 0, role: str = "participants") -> Dict[str, Any]:
    found = [p for p in obs.findings[finding][role] if p["thread"] == name] if len(obs.findings) > finding else []
    assert found, f"{name} is not among the {role}\n{obs.describe()}"
    return found[0]


def joins(names: set, thread: str) -> W:
    return W("thread", names, "join", "join()", thread=thread)


# --------------------------------------------------------------------------------------------
# The seed scenarios, live and from a core


def thread_shapes(doc: Dict[str, Any]) -> List[Tuple[Any, ...]]:
    return [(t["tid"], t["ident"], t["name"], t["is_main"],
             [(f["kind"], f.get("function"), f.get("file"), f.get("line")) for f in t["frames"]])
            for t in doc["processes"][0]["threads"]]


_SEEDS: Dict[Tuple[str, str], Tuple[Observation, Observation]] = {}


def live_and_core(python: Interp, pyhang: str, scenario: str, tmp_path: Path) -> Tuple[Observation, Observation]:
    """Reads the scenario live (text and JSON), takes a core with gcore while it still hangs,
    and reads the core (text and JSON). Once per interpreter (cached)."""
    key = (python.id, scenario)
    if key not in _SEEDS:
        _SEEDS[key] = _live_and_core(python, pyhang, scenario, tmp_path)
    return _SEEDS[key]


def _live_and_core(python: Interp, pyhang: str, scenario: str, tmp_path: Path) -> Tuple[Observation, Observation]:
    with hung_program(python, scenario) as prog:
        text = run_pyhang(pyhang, "remote", prog.pid)
        settle_asleep(prog.pid)
        doc, proc = pyhang_json(pyhang, "remote", prog.pid, with_proc=True)
        live = Observation(python, scenario, (), prog.pid, text.stdout, text.returncode, text.stderr, doc,
                           proc.returncode, prog.output_so_far)
        prefix = tmp_path / "core"
        g = take_gcore(prog.pid, prefix)
        core_file = Path(f"{prefix}.{prog.pid}")
        assert g.returncode == 0 and core_file.is_file(), f"gcore failed ({g.returncode}): {g.stdout}{g.stderr}"
    try:
        ctext = run_pyhang(pyhang, "core", core_file)
        cdoc, cproc = pyhang_json(pyhang, "core", core_file, with_proc=True)
    finally:
        core_file.unlink()
    core = Observation(python, scenario, ("core",), live.pid, ctext.stdout, ctext.returncode, ctext.stderr, cdoc,
                       cproc.returncode, live.output)
    return live, core


def check_core_equals_live(live: Observation, core: Observation) -> None:
    """Same process, threads (tid, ident, name) and diagnosis; the frames are compared by
    test_seed_core_frames_equal_live."""
    assert core.doc["processes"][0]["source"] == "core" and live.doc["processes"][0]["source"] == "live"
    assert core.doc["processes"][0]["pid"] == live.pid
    assert [t[:4] for t in thread_shapes(core.doc)] == [t[:4] for t in thread_shapes(live.doc)], \
        core.describe() + live.describe()
    assert core.diagnosis["verdict"] == live.diagnosis["verdict"]
    assert core.findings == live.findings, core.describe() + live.describe()
    assert text_lines(core)[-1] == text_lines(live)[-1]
    assert "core dump" in text_lines(core)[1], core.describe()


def test_seed_threads_lock_order(python, pyhang, tmp_path):
    """README: Thread-1 holds lock_a (its first_lock, taken by `with` at line 12) and waits for
    lock_b at line 15; Thread-2 holds lock_b and waits for lock_a at line 15; the main thread
    waits in t1.join() for Thread-1. The same from a core."""
    live, core = live_and_core(python, pyhang, "threads_lock_order.py", tmp_path)
    suffix = " (background)" if python.version >= (3, 10) else ""
    t1, t2 = f"Thread-1{suffix}", f"Thread-2{suffix}"
    src = "threads_lock_order.py"
    lock_a = {"lock_a", "first_lock", "second_lock"}
    lock_b = {"lock_b", "first_lock", "second_lock"}
    expected = [F("lock-order-cycle", {
        t1: P(At(src, 15, "background"), W("lock", lock_b, "acquire", "with"),
              [H("lock", lock_a, "with", At(src, 12, "background"))], held_by=t2),
        t2: P(At(src, 15, "background"), W("lock", lock_a, "acquire", "with"),
              [H("lock", lock_b, "with", At(src, 12, "background"))], held_by=t1),
    }, bystanders={
        "MainThread": P(At(src, 31, "<module>"), joins({"t1"}, t1), held_by=t1),
    })]
    for obs in (live, core):
        check_deadlock(obs, expected)
        lines = text_lines(obs)
        assert lines.index("Found a deadlock (lock-order cycle) between 2 threads:") < len(lines) - 1
        assert (f"Stuck behind it: {obs.label('MainThread')} waits for {t1} to finish at "
                f"threads_lock_order.py:31 in <module> (t1.join()).") in lines, obs.describe()
        assert lines[-1] == ("Verdict: DEADLOCK (lock-order-cycle): 2 threads wait for each other in a "
                             "lock-order cycle; 1 more thread is stuck behind."), obs.describe()
        at15 = At(src, 15, "background").location()
        n1, n2 = annotations(obs, t1, at15), annotations(obs, t2, at15)
        assert [n.split(" <")[0] for n in n1] == ["waiting to acquire lock_b (second_lock)", "holds lock_a (first_lock)"], n1
        assert n1[0].endswith(f", held by {obs.label(t2)}") and n1[1].endswith(" since line 12"), n1
        assert [n.split(" <")[0] for n in n2] == ["waiting to acquire lock_a (second_lock)", "holds lock_b (first_lock)"], n2
        assert annotations(obs, "MainThread", At(src, 31, "<module>").location()) == [f"waiting for {t1} to finish"]
    check_core_equals_live(live, core)


def test_seed_queue_gc_reentrancy(python, pyhang, tmp_path):
    """README: the main thread holds the queue's mutex (via not_full in Queue.put, called from
    main), the collector ran Circular.__del__ inside that put, and __del__ waits in
    jobs.put("finalized") (line 38) for the same mutex; the collector is named as the
    re-entry point. The same from a core."""
    live, core = live_and_core(python, pyhang, "queue_gc_reentrancy.py", tmp_path)
    src = "queue_gc_reentrancy.py"
    for obs in (live, core):
        queue_py = next(f["file"] for f in obs.threads["MainThread"]["frames"]
                        if f.get("file", "").endswith("/queue.py"))
        put_with = Stdlib("/queue.py", "put", "def put(self", "with self.not_full:")
        check_deadlock(obs, [F("gc-reentrancy", {
            "MainThread": P(At(src, 38, "__del__"), W("lock", {"jobs.mutex", "self.mutex", "self._lock"}, "acquire", "with"),
                            [H("condition", {"jobs.not_full", "self.not_full"}, "with", put_with)], held_by="MainThread"),
        }, explanation=[
            "waits to acquire jobs.mutex <_thread.lock at 0x",
            "at queue_gc_reentrancy.py:38 in __del__ (jobs.put(\"finalized\"))",
            f"which it already holds itself since queue.py:{source_line(queue_py, 'def put(self', 'with self.not_full:')} in put (through jobs.not_full)",
            "called from queue_gc_reentrancy.py:45 in main",
            "The garbage collector interrupted the thread at ",
            "__del__ (queue_gc_reentrancy.py),",  # Circular.__del__: test_seed_gc_names_the_finalizer
        ])])
        assert text_lines(obs)[-1].startswith("Verdict: DEADLOCK (gc-reentrancy): garbage collection re-entered code "
                                              "that holds jobs.mutex and waits for it again"), obs.describe()
        assert "[Garbage collecting]" in obs.text
    check_core_equals_live(live, core)


def test_seed_gc_names_the_finalizer(python, pyhang, tmp_path):
    """README: the collector ran `Circular.__del__` (before 3.11, from the type of its `self`)."""
    for obs in live_and_core(python, pyhang, "queue_gc_reentrancy.py", tmp_path):
        assert " and ran Circular.__del__ (queue_gc_reentrancy.py)," in "\n".join(obs.findings[0]["explanation"]), \
            obs.describe()


@pytest.mark.parametrize("scenario", ["threads_lock_order.py", "queue_gc_reentrancy.py"])
def test_seed_core_frames_equal_live(python, pyhang, tmp_path, scenario):
    """Every thread's frames (kind, function, file, line) read from the core are the live ones."""
    live, core = live_and_core(python, pyhang, scenario, tmp_path)
    assert thread_shapes(core.doc) == thread_shapes(live.doc), core.describe() + live.describe()
    assert not core.doc["processes"][0]["warnings"] and not any(t.get("warnings") for t in core.doc["processes"][0]["threads"])


# --------------------------------------------------------------------------------------------
# Lock-order cycles


def test_bank_transfer_two_accounts(python, pyhang):
    """Nested `with self.lock:` / `with other.lock:` in a method of another module (bank.py);
    the main thread joins teller-1."""
    obs = observe(python, pyhang, "hang_bank_transfer.py")
    alice = {"alice.lock", "source.lock", "destination.lock", "self.lock", "other.lock"}
    bob = {"bob.lock", "source.lock", "destination.lock", "self.lock", "other.lock"}
    own, other = At("bank.py", "take_own", "transfer_to"), At("bank.py", "take_other", "transfer_to")
    check_deadlock(obs, [F("lock-order-cycle", {
        "teller-1": P(other, W("lock", bob, "acquire", "with"), [H("lock", alice, "with", own)], held_by="teller-2"),
        "teller-2": P(other, W("lock", alice, "acquire", "with"), [H("lock", bob, "with", own)], held_by="teller-1"),
    }, bystanders={
        "MainThread": P(At("hang_bank_transfer.py", "join", "main"), joins({"teller"}, "teller-1"), held_by="teller-1"),
    })])


def test_bank_transfer_waiter_uses_its_own_name_for_the_lock(python, pyhang):
    obs = observe(python, pyhang, "hang_bank_transfer.py")
    lines = obs.findings[0]["explanation"] if obs.findings else []
    for teller, account in (("teller-1", "bob"), ("teller-2", "alice")):
        waits = [s for s in lines if s.startswith(f"  {obs.label(teller)} waits to acquire ")]
        assert len(waits) == 1, obs.describe()
        label = waits[0].split(" waits to acquire ")[1].split(" <")[0]
        assert label in (f"{account}.lock (other.lock)", f"other.lock ({account}.lock)", f"{account}.lock",
                         "other.lock"), waits[0]


def test_pipeline_three_locks_passed_as_arguments(python, pyhang):
    """A ring of three stages: `with own_lock:` then `with next_lock:`, the module's Locks passed
    as arguments; each lock is labelled with its module name and the waiter's own name for it."""
    obs = observe(python, pyhang, "hang_pipeline_stages.py")
    src = "hang_pipeline_stages.py"
    ring = [("parse", "enrich"), ("enrich", "store"), ("store", "parse")]
    lock = lambda stage: {f"{stage}_lock", "own_lock", "next_lock"}  # noqa: E731
    check_deadlock(obs, [F("lock-order-cycle", {
        f"stage-{mine}": P(At(src, "next", "hand_over"), W("lock", lock(nxt), "acquire", "with"),
                           [H("lock", lock(mine), "with", At(src, "own", "hand_over"))], held_by=f"stage-{nxt}")
        for mine, nxt in ring
    }, bystanders={
        "MainThread": P(At(src, "join", "main"), joins({"stage"}, "stage-parse"), held_by="stage-parse"),
    })])
    lines = obs.findings[0]["explanation"]
    assert lines[0] == "Found a deadlock (lock-order cycle) between 3 threads:"
    for mine, nxt in ring:
        waits = [s for s in lines if s.startswith(f"  {obs.label('stage-' + mine)} waits to acquire ")]
        assert len(waits) == 1 and f" waits to acquire {nxt}_lock (next_lock) <_thread.lock at 0x" in waits[0], lines
        notes = annotations(obs, f"stage-{mine}", At(src, "next", "hand_over").location())
        assert notes[0].startswith(f"waiting to acquire {nxt}_lock (next_lock) <_thread.lock at 0x"), notes
        assert notes[0].endswith(f", held by {obs.label('stage-' + nxt)}"), notes
        assert notes[1].startswith(f"holds {mine}_lock (own_lock) <_thread.lock at 0x"), notes
        assert notes[1].endswith(f" since line {line(src, 'own')}"), notes


def test_philosophers_three_rlocks_by_acquire(python, pyhang):
    """A 3-thread cycle of RLocks taken with acquire(): the RLocks' recorded owners are the
    holders, and the source shows since which line (the left fork's acquire())."""
    obs = observe(python, pyhang, "hang_philosophers.py")
    right = At("hang_philosophers.py", "take_right", "run")
    base = {"self.left", "self.right"}
    # The main thread's loop variable `philosopher` is philosopher-0 (it waits in its join()),
    # whose left fork is fork 0 and right fork is fork 1.
    fork = [base | {"philosopher.left"}, base | {"philosopher.right"}, base]
    check_deadlock(obs, [F("lock-order-cycle", {
        f"philosopher-{k}": P(right, W("rlock", fork[(k + 1) % 3], "acquire", "acquire()"),
                              [H("rlock", fork[k], "owner", At("hang_philosophers.py", "take_left", "run"))],
                              held_by=f"philosopher-{(k + 1) % 3}")
        for k in range(3)
    }, bystanders={
        "MainThread": P(At("hang_philosophers.py", "join", "main"), joins({"philosopher"}, "philosopher-0"),
                        held_by="philosopher-0"),
    })])
    assert obs.findings[0]["explanation"][0] == "Found a deadlock (lock-order cycle) between 3 threads:"
    assert "since hang_philosophers.py:" in "\n".join(obs.findings[0]["explanation"])


def test_cache_sync_rlocks_across_methods(python, pyhang):
    """`with self.lock:` in sync_from calls other.snapshot(), which waits in `with self.lock:`
    for the other replica's RLock (replicas.py); module-level replicas give the names."""
    obs = observe(python, pyhang, "hang_cache_sync.py")
    hold, snap = At("replicas.py", "sync_hold", "sync_from"), At("replicas.py", "snapshot", "snapshot")
    names = lambda which: {f"{which}.lock", "self.lock", "other.lock"}  # noqa: E731
    check_deadlock(obs, [F("lock-order-cycle", {
        "sync-primary": P(snap, W("rlock", names("replica"), "acquire", "with"),
                          [H("rlock", names("primary"), "with", hold)], held_by="sync-replica"),
        "sync-replica": P(snap, W("rlock", names("primary"), "acquire", "with"),
                          [H("rlock", names("replica"), "with", hold)], held_by="sync-primary"),
    }, bystanders={
        "MainThread": P(At("hang_cache_sync.py", "join", "<module>"), joins(set(), "sync-primary"), held_by="sync-primary"),
    })])


def test_condition_lock_order_cycle(python, pyhang):
    """One thread holds a Condition (`with self.changed:`) and waits for a Lock; the other holds
    the Lock and waits to enter the Condition."""
    obs = observe(python, pyhang, "hang_condition_cycle.py")
    src = "hang_condition_cycle.py"
    check_deadlock(obs, [F("lock-order-cycle", {
        "matcher": P(At(src, "match_wait", "match"), W("lock", {"ledger.lock", "self.lock"}, "acquire", "with"),
                     [H("condition", {"book.changed", "self.changed"}, "with", At(src, "match_hold", "match"))],
                     held_by="settler"),
        # The names of the Condition's lock are checked by the xfail test below.
        "settler": P(At(src, "settle_wait", "settle"), W("rlock", ANY, "acquire", "with"),
                     [H("lock", {"ledger.lock", "self.lock"}, "with", At(src, "settle_hold", "settle"))],
                     held_by="matcher"),
    }, bystanders={
        "MainThread": P(At(src, "join", "<module>"), joins({"matcher"}, "matcher"), held_by="matcher"),
    })])


def test_condition_lock_order_cycle_names_the_condition(python, pyhang):
    """Waiting to enter `with book.changed:` is waiting for the Condition the program named (its
    lock is what the cycle goes through)."""
    obs = observe(python, pyhang, "hang_condition_cycle.py")
    names = participant(obs, "settler")["waits_for"]["names"]
    assert any(n.startswith("book.changed") for n in names), names
    assert [s for s in obs.findings[0]["explanation"] if "settler" in s and "waits to acquire book.changed" in s]


def test_logging_handler_lock_cycle(python, pyhang):
    """The logging module's handler lock (an RLock taken inside Handler.handle) against an
    application RLock taken in the handler's emit() (audit.py)."""
    obs = observe(python, pyhang, "hang_logging_handler.py")
    handler_lock = {"handler.lock", "hdlr.lock", "self.lock"}
    if python.version >= (3, 13):  # Handler.handle: `with self.lock: self.emit(record)`
        where = Stdlib("/logging/__init__.py", "handle", "def handle(self, record):", "with self.lock:")
        request_holds = H("rlock", handler_lock, "with", where)
        auditor_how = "with"
    else:  # Handler.handle: self.acquire() -> Handler.acquire: self.lock.acquire()
        where = Stdlib("/logging/__init__.py", "acquire", "def acquire(self):", "self.lock.acquire()")
        request_holds = H("rlock", handler_lock, "owner", NOWHERE)
        auditor_how = "acquire()"
    check_deadlock(obs, [F("lock-order-cycle", {
        "request": P(At("audit.py", "emit_wait", "emit"), W("rlock", {"audit_lock"}, "acquire", "with"),
                     [request_holds], held_by="auditor"),
        # The wait is reported at the program's own line that called into logging.
        "auditor": P(At("audit.py", "writer_log", "write_audit"), W("rlock", handler_lock, "acquire", auditor_how),
                     [H("rlock", {"audit_lock"}, "with", At("audit.py", "writer_hold", "write_audit"))],
                     held_by="request"),
    }, bystanders={
        "MainThread": P(At("hang_logging_handler.py", "join", "<module>"), joins({"request"}, "request"),
                        held_by="request"),
    })])


def test_pool_transfer_cycle_between_executor_workers(python, pyhang):
    """The same bank transfer run by a ThreadPoolExecutor: which worker took which transfer is
    up to the executor, so the test pairs each worker's hold with its wait."""
    obs = observe(python, pyhang, "hang_pool_transfer.py")
    assert obs.diagnosis["verdict"] == "deadlock", obs.describe()
    assert [f["kind"] for f in obs.findings] == ["lock-order-cycle"], obs.describe()
    parts = {p["thread"]: p for p in obs.findings[0]["participants"]}
    assert set(parts) == {"transfer_0", "transfer_1"}, obs.describe()
    checking = {"checking.lock", "self.lock", "other.lock"}
    savings = {"savings.lock", "self.lock", "other.lock"}
    errors = Mismatch()
    for name, p in parts.items():
        other = "transfer_1" if name == "transfer_0" else "transfer_0"
        mine, theirs = (checking, savings) if "checking.lock" in p["holds"][0]["object"]["names"] else (savings, checking)
        check_participant(obs, "participant", p, P(
            At("bank.py", "take_other", "transfer_to"), W("lock", theirs, "acquire", "with"),
            [H("lock", mine, "with", At("bank.py", "take_own", "transfer_to"))], held_by=other), errors)
    assert not errors, "\n".join(errors) + obs.describe()
    check_text(obs)
    check_acquire_annotations(obs)


def test_pool_transfer_main_thread_is_stuck_behind(python, pyhang):
    """The future the main thread waits for is being computed by transfer_0 (its work item's
    future): the main thread is stuck behind the cycle. The worker's own frames name the future too."""
    obs = observe(python, pyhang, "hang_pool_transfer.py")
    check_findings(obs, [F("lock-order-cycle", {"transfer_0": P(ANY, W("lock", ANY, "acquire"), ANY, held_by=ANY),
                                                "transfer_1": P(ANY, W("lock", ANY, "acquire"), ANY, held_by=ANY)},
                           bystanders={"MainThread": P(At("hang_pool_transfer.py", "result", "main"),
                                                       W("future", {"future", "work_item.future", "self.future"},
                                                         "future-result", "result()"),
                                                       ANY, held_by=ANY)})])


def test_acquire_cycle_is_a_hang(python, pyhang):
    """Plain Locks taken with acquire() leave no evidence of their holder on the stack; pyhang
    infers the holder from the source (an acquire() not yet released above the current line). Here:
    a deadlock, each mover waiting at its second acquire() for the right lock, the main thread
    waiting for mover-1; that it is a lock-order cycle is checked below."""
    obs = observe(python, pyhang, "hang_acquire_cycle.py")
    assert obs.diagnosis["verdict"] == "deadlock" and (obs.text_rc, obs.json_rc) == (1, 1), obs.describe()
    wait = At("hang_acquire_cycle.py", "wait", "move_stock")
    errors = Mismatch()
    for name, names in (("mover-1", {"depot_lock", "src_lock", "dst_lock"}),
                        ("mover-2", {"shelf_lock", "src_lock", "dst_lock"})):
        check_participant(obs, "participant", participant(obs, name),
                          P(wait, W("lock", names, "acquire", "acquire()"), ANY, held_by=ANY), errors)
    assert not errors, "\n".join(errors) + obs.describe()
    check_text(obs)
    check_acquire_annotations(obs)


def acquire_cycle(bystanders: Dict[str, P]) -> List[F]:
    wait = At("hang_acquire_cycle.py", "wait", "move_stock")
    return [F("lock-order-cycle", {
        "mover-1": P(wait, W("lock", {"depot_lock", "src_lock", "dst_lock"}, "acquire", "acquire()"), ANY, held_by="mover-2"),
        "mover-2": P(wait, W("lock", {"shelf_lock", "src_lock", "dst_lock"}, "acquire", "acquire()"), ANY, held_by="mover-1"),
    }, bystanders=bystanders)]


def test_acquire_cycle_is_a_lock_order_cycle(python, pyhang):
    obs = observe(python, pyhang, "hang_acquire_cycle.py")
    check_findings(obs, acquire_cycle({"MainThread": P(At("hang_acquire_cycle.py", "join", "main"),
                                                       joins({"mover"}, "mover-1"), held_by="mover-1")}))


def test_acquire_cycle_found_while_main_thread_monitors(python, pyhang):
    obs = observe(python, pyhang, "hang_acquire_cycle.py", "--monitor")
    assert obs.diagnosis["verdict"] == "deadlock" and obs.text_rc == 1, obs.describe()
    check_findings(obs, acquire_cycle({}))


# --------------------------------------------------------------------------------------------
# Self-deadlocks


def test_self_deadlock_nested_with(python, pyhang):
    obs = observe(python, pyhang, "hang_self_nested.py")
    src = "hang_self_nested.py"
    check_deadlock(obs, [F("self-deadlock", {
        "rotator": P(At(src, "inner", "rotate_logs"), W("lock", {"state.lock"}, "acquire", "with"),
                     [H("lock", {"state.lock"}, "with", At(src, "outer", "rotate_logs"))], held_by="rotator"),
    }, bystanders={
        "MainThread": P(At(src, "join", "<module>"), joins({"rotator"}, "rotator"), held_by="rotator"),
    }, explanation=[f"which it already holds itself since {src}:{line(src, 'outer')} in rotate_logs",
                    "A threading.Lock is not re-entrant"])])
    assert text_lines(obs)[-1] == (f"Verdict: DEADLOCK (self-deadlock): {obs.label('rotator')} waits for a lock it "
                                   f"already holds; 1 more thread is stuck behind."), obs.describe()


def test_self_deadlock_method_calls_method(python, pyhang):
    """Metrics.record holds self._lock and calls self.flush_if_full, which takes it again
    (metrics.py); the exporter thread waits for the same lock behind the main thread."""
    obs = observe(python, pyhang, "hang_self_method.py")
    lock = {"metrics._lock", "self._lock"}
    check_deadlock(obs, [F("self-deadlock", {
        "MainThread": P(At("metrics.py", "flush_wait", "flush_if_full"), W("lock", lock, "acquire", "with"),
                        [H("lock", lock, "with", At("metrics.py", "record_hold", "record"))], held_by="MainThread"),
    }, bystanders={
        "exporter": P(At("metrics.py", "export_wait", "export"), W("lock", lock, "acquire", "with"), held_by="MainThread"),
    }, explanation=[f"which it already holds itself since metrics.py:{line('metrics.py', 'record_hold')} in record"])])
    notes = annotations(obs, "exporter", At("metrics.py", "export_wait", "export").location())
    assert notes and notes[0].startswith("waiting to acquire metrics._lock ") and \
        notes[0].endswith(f", held by {obs.label('MainThread')}"), notes


def test_self_deadlock_semaphore_reentry(python, pyhang):
    """A Semaphore(1) re-entered by its holder. The semaphore is entered by `with`, but
    Semaphore.__enter__ is Semaphore.acquire, so `how` is not checked."""
    obs = observe(python, pyhang, "hang_semaphore_reentry.py")
    src = "hang_semaphore_reentry.py"
    slot = {"limiter.slot", "self.slot"}
    check_deadlock(obs, [F("self-deadlock", {
        # holds: the outer `with self.slot:`; pyhang also lists the semaphore's internal condition
        # (see test_waiting_threads_do_not_hold_what_wait_released).
        "crawler": P(At(src, "slot", "fetch"), W("semaphore", slot, "acquire"), ANY,
                     holds_include=[H("semaphore", slot, "with", At(src, "slot", "fetch"))], held_by="crawler"),
    }, bystanders={
        "MainThread": P(At(src, "join", "<module>"), joins({"crawler"}, "crawler"), held_by="crawler"),
    })])


def test_self_deadlock_semaphore_explanation_speaks_of_the_semaphore(python, pyhang):
    obs = observe(python, pyhang, "hang_semaphore_reentry.py")
    text = "\n".join(obs.findings[0]["explanation"])
    assert "threading.Lock" not in text and "RLock" not in text, text


def test_self_deadlock_legacy_acquire_flag(python, pyhang):
    obs = observe(python, pyhang, "hang_legacy_acquire_flag.py")
    src = "hang_legacy_acquire_flag.py"
    check_deadlock(obs, [F("self-deadlock", {
        "legacy-sync": P(At(src, "reserve", "_reserve"), W("lock", {"journal.lock", "self.lock"}, "acquire", "acquire()"),
                         [H("lock", {"journal.lock", "self.lock"}, "with", At(src, "append_hold", "append"))],
                         held_by="legacy-sync"),
    }, bystanders={
        "MainThread": P(At(src, "join", "<module>"), joins({"syncer"}, "legacy-sync"), held_by="legacy-sync"),
    })])


def test_self_deadlock_through_custom_context_manager(python, pyhang):
    obs = observe(python, pyhang, "hang_custom_context.py")
    check_findings(obs, [F("self-deadlock", {
        "importer": P(At("txn.py", "txn_acquire", "__enter__"), W("lock", {"db.lock", "self.db.lock"}, "acquire", "acquire()"),
                      ANY, held_by="importer"),
    }, bystanders={
        "MainThread": P(At("hang_custom_context.py", "join", "<module>"), joins({"importer"}, "importer"),
                        held_by="importer"),
    })])


# --------------------------------------------------------------------------------------------
# Locks held by threads that have exited


def test_rlock_held_by_dead_thread(python, pyhang):
    """registry.migrate() (registry.py) acquires the RLock and returns early in thread
    "migrator"; the main thread waits for it in registry.lookup()."""
    obs = observe(python, pyhang, "hang_rlock_dead_owner.py")
    check_deadlock(obs, [F("held-by-dead-thread", {
        "MainThread": P(At("registry.py", "lookup_wait", "lookup"), W("rlock", {"registry.lock", "self.lock"}, "acquire", "with"),
                        held_by=ANY),  # the exited owner: test_rlock_dead_owner_is_in_held_by
    }, explanation=['which is owned by thread "migrator", which has exited without releasing it.'])])
    assert "(inferred)" not in obs.text
    assert text_lines(obs)[-1] == (f"Verdict: DEADLOCK (held-by-dead-thread): {obs.label('MainThread')} waits for a "
                                   f"lock held by thread \"migrator\" which has exited."), obs.describe()


def test_rlock_held_by_thread_that_raised(python, pyhang):
    obs = observe(python, pyhang, "hang_rlock_dead_owner.py", "--raise")
    assert "MigrationError: cannot migrate schema 1 -> 2" in obs.output
    check_deadlock(obs, [F("held-by-dead-thread", {
        "api-handler": P(At("registry.py", "lookup_wait", "lookup"), W("rlock", {"registry.lock", "self.lock"}, "acquire", "with"),
                         held_by=ANY),
    }, bystanders={
        "MainThread": P(At("hang_rlock_dead_owner.py", "join", "main"), joins({"handler"}, "api-handler"),
                        held_by="api-handler"),
    }, explanation=['which is owned by thread "migrator", which has exited without releasing it.'])])


def test_rlock_dead_owner_is_in_held_by(python, pyhang):
    obs = observe(python, pyhang, "hang_rlock_dead_owner.py")
    assert "migrator" in (participant(obs, "MainThread")["held_by"] or ""), obs.describe()


def test_lock_held_by_dead_thread_is_inferred(python, pyhang):
    """A plain Lock records no owner: that the exited "loader" holds it is inferred, and said so."""
    obs = observe(python, pyhang, "hang_lock_dead_thread.py")
    check_deadlock(obs, [F("held-by-dead-thread", {
        "MainThread": P(At("hang_lock_dead_thread.py", "wait", "read_cache"), W("lock", {"cache_lock"}, "acquire", "with"),
                        held_by=ANY),
    }, explanation=["which no live thread holds through a with block; it was most likely taken with acquire()",
                    'by thread "loader", which has exited without releasing it (inferred).'])])


def test_lock_held_by_live_sleeping_thread_is_not_a_deadlock(python, pyhang):
    obs = observe(python, pyhang, "hang_live_holder.py")
    check_no_deadlock(obs)


# --------------------------------------------------------------------------------------------
# Join cycle


def test_join_cycle(python, pyhang):
    """The coordinator holds plan_lock and joins step-worker, which waits for plan_lock."""
    obs = observe(python, pyhang, "hang_join_cycle.py")
    src = "hang_join_cycle.py"
    plan_lock = {"planner.plan_lock", "self.plan_lock"}
    check_deadlock(obs, [F("join-cycle", {
        "coordinator": P(At(src, "coordinator_join", "coordinate"), joins({"worker"}, "step-worker"),
                         [H("lock", plan_lock, "with", At(src, "coordinator_hold", "coordinate"))], held_by="step-worker"),
        "step-worker": P(At(src, "worker_wait", "apply_step"), W("lock", plan_lock, "acquire", "with"), held_by="coordinator"),
    }, bystanders={
        "MainThread": P(At(src, "main_join", "<module>"), joins({"coordinator"}, "coordinator"), held_by="coordinator"),
    })])
    notes = annotations(obs, "coordinator", At(src, "coordinator_join", "coordinate").location())
    assert "waiting for step-worker to finish" in notes, notes


def test_executor_task_needs_the_submitters_lock(python, pyhang):
    """The main thread holds registry_lock and waits for a future; the executor worker computing it
    waits for registry_lock: a join cycle through the future."""
    obs = observe(python, pyhang, "hang_executor_submitter_holds_lock.py")
    src = "hang_executor_submitter_holds_lock.py"
    check_deadlock(obs, [F("join-cycle", {
        "MainThread": P(At(src, "result", "main"),
                        W("future", {"future", "work_item.future", "self.future"}, "future-result", "result()"),
                        [H("lock", {"registry_lock"}, "with", At(src, "hold", "main"))], held_by="registrar_0"),
        "registrar_0": P(At(src, "task_wait", "register"), W("lock", {"registry_lock"}, "acquire", "with"),
                         held_by="MainThread"),
    })])
    assert "which registrar_0 is computing" in obs.text, obs.describe()


# --------------------------------------------------------------------------------------------
# Every thread blocked without a timeout


def all_blocked(participants: Dict[str, P]) -> List[F]:
    return [F("all-blocked", participants, explanation=[
        "Each waits without a timeout for something that only another thread could do."])]


# Threads inside Condition.wait() (directly or under Event.wait, Barrier.wait, Queue.get/put/join,
# Future.result, Semaphore.acquire) have released the condition's lock, but pyhang lists it among
# their holds: the tests here leave those holds out (holds=ANY / holds_include) and
# test_waiting_threads_do_not_hold_what_wait_released asserts the correct holds.


def test_all_blocked_condition_without_notifier(python, pyhang):
    obs = observe(python, pyhang, "hang_condition_no_notify.py")
    jobs_ready = {"board.jobs_ready", "self.jobs_ready"}
    picker = P(At("jobboard.py", "take_wait", "take"), W("condition", jobs_ready, "wait", "wait()"), ANY)
    check_deadlock(obs, all_blocked({
        "picker-1": picker, "picker-2": picker,
        "MainThread": P(At("hang_condition_no_notify.py", "join", "<module>"), joins({"p"}, "picker-1"), held_by="picker-1"),
    }))
    assert obs.findings[0]["explanation"][0] == "Found a hang (all threads blocked): none of the 3 threads can make progress."


def test_all_blocked_event_never_set(python, pyhang):
    obs = observe(python, pyhang, "hang_event_never_set.py")
    src = "hang_event_never_set.py"
    worker = P(At(src, "worker_wait", "work"), W("event", {"service.config_loaded", "self.config_loaded"}, "wait", "wait()"), ANY)
    check_deadlock(obs, all_blocked({
        "worker-1": worker, "worker-2": worker,
        "MainThread": P(At(src, "main_wait", "<module>"), W("event", {"service.stopped", "self.stopped"}, "wait", "wait()"), ANY),
    }))
    assert "JSONDecodeError" in obs.output  # the config loader died


def test_all_blocked_barrier_short_of_parties(python, pyhang):
    obs = observe(python, pyhang, "hang_barrier_short.py")
    shard = P(At("hang_barrier_short.py", "shard_wait", "run_shard"), W("barrier", {"sync_point"}, "wait", "wait()"), ANY)
    check_deadlock(obs, all_blocked({
        "shard-0": shard, "shard-1": shard,
        "MainThread": P(At("hang_barrier_short.py", "join", "<module>"), joins({"s"}, "shard-0"), held_by="shard-0"),
    }))


def test_all_blocked_semaphore_exhausted(python, pyhang):
    obs = observe(python, pyhang, "hang_semaphore_exhausted.py")
    src = "hang_semaphore_exhausted.py"
    slots = {"self.slots", "pool.slots"}
    slot_hold = H("semaphore", slots, "with", At(src, "slot", "request"))
    holder = P(At(src, "response_wait", "request"), W("event", {"response"}, "wait", "wait()"), ANY, holds_include=[slot_hold])
    check_deadlock(obs, all_blocked({
        "client-1": holder, "client-2": holder,
        "client-3": P(At(src, "slot", "request"), W("semaphore", slots, "acquire"), ANY, held_by=("client-1", "client-2")),
        "MainThread": P(At(src, "join", "main"), joins({"third"}, "client-3"), held_by="client-3"),
    }))


def test_all_blocked_queue_get_without_producer(python, pyhang):
    obs = observe(python, pyhang, "hang_queue_get_no_producer.py")
    src = "hang_queue_get_no_producer.py"
    consumer = P(At(src, "consumer_get", "consume"), W("queue", {"tasks"}, "queue-get", "get()"), ANY)
    check_deadlock(obs, all_blocked({
        "consumer-1": consumer, "consumer-2": consumer,
        "MainThread": P(At(src, "join", "<module>"), joins({"c"}, "consumer-1"), held_by="consumer-1"),
    }))
    assert "FileNotFoundError" in obs.output


def test_all_blocked_queue_put_full(python, pyhang):
    obs = observe(python, pyhang, "hang_queue_put_full.py")
    check_deadlock(obs, all_blocked({
        "MainThread": P(At("hang_queue_put_full.py", "put", "main"), W("queue", {"results"}, "queue-put", "put()"), ANY),
    }))
    assert obs.findings[0]["explanation"][0] == "Found a hang (all threads blocked): the only thread cannot make progress."


def test_all_blocked_queue_join_missing_task_done(python, pyhang):
    obs = observe(python, pyhang, "hang_queue_join_missing_done.py")
    src = "hang_queue_join_missing_done.py"
    check_deadlock(obs, all_blocked({
        "indexer": P(At(src, "indexer_get", "indexer"), W("queue", {"work"}, "queue-get", "get()"), ANY),
        "MainThread": P(At(src, "main_join", "main"), W("queue", {"work"}, "queue-join", "join()"), ANY),
    }))


def test_all_blocked_future_of_task_that_never_runs(python, pyhang):
    obs = observe(python, pyhang, "hang_future_never_runs.py")
    src = "hang_future_never_runs.py"
    check_deadlock(obs, all_blocked({
        "io_0": P(At(src, "connect_wait", "connect"), W("event", {"connected"}, "wait", "wait()"), ANY),
        # `report` is still queued in the pool whose only worker, io_0, waits for ever: it is the
        # worker the future waits behind.
        "MainThread": P(At(src, "main_result", "main"), W("future", {"report"}, "future-result", "result()"), ANY,
                        held_by="io_0"),
    }))


def test_all_blocked_condition_holder(python, pyhang):
    obs = observe(python, pyhang, "hang_condition_holder.py")
    src = "hang_condition_holder.py"
    changed = {"inventory.changed", "self.changed"}
    check_deadlock(obs, all_blocked({
        # shipper: the names of the Condition's lock and who holds it are the xfail tests below.
        "shipper": P(At(src, "shipper_wait", "ship"), W("rlock", ANY, "acquire", "with"), [], held_by=ANY),
        "restock-listener": P(At(src, "listener_wait", "wait_for_restock"), W("condition", changed, "wait", "wait()"), ANY),
        "auditor": P(At(src, "auditor_wait", "audit"), W("event", {"inventory.approved", "self.approved"}, "wait", "wait()"),
                     ANY, holds_include=[H("condition", changed, "with", At(src, "auditor_hold", "audit"))]),
        "MainThread": P(At(src, "join", "<module>"), joins({"shipper"}, "shipper"), held_by="shipper"),
    }))


def test_condition_lock_held_by_the_thread_that_really_holds_it(python, pyhang):
    obs = observe(python, pyhang, "hang_condition_holder.py")
    assert participant(obs, "shipper")["held_by"] == obs.label("auditor"), obs.describe()


def test_condition_holder_names_the_condition(python, pyhang):
    obs = observe(python, pyhang, "hang_condition_holder.py")
    names = participant(obs, "shipper")["waits_for"]["names"]
    assert any(n.startswith("inventory.changed") for n in names), names


WAITERS_REAL_HOLDS = {
    "hang_condition_no_notify.py": {"picker-1": [], "picker-2": [], "MainThread": []},
    "hang_event_never_set.py": {"worker-1": [], "worker-2": [], "MainThread": []},
    "hang_barrier_short.py": {"shard-0": [], "shard-1": [], "MainThread": []},
    "hang_semaphore_exhausted.py": {
        "client-1": [H("semaphore", {"self.slots", "pool.slots"}, "with", At("hang_semaphore_exhausted.py", "slot", "request"))],
        "client-2": [H("semaphore", {"self.slots", "pool.slots"}, "with", At("hang_semaphore_exhausted.py", "slot", "request"))],
        "client-3": [], "MainThread": []},
    "hang_queue_get_no_producer.py": {"consumer-1": [], "consumer-2": [], "MainThread": []},
    "hang_queue_put_full.py": {"MainThread": []},
    "hang_queue_join_missing_done.py": {"indexer": [], "MainThread": []},
    "hang_future_never_runs.py": {"io_0": [], "MainThread": []},
    "hang_condition_holder.py": {
        "restock-listener": [],
        "auditor": [H("condition", {"inventory.changed", "self.changed"}, "with", At("hang_condition_holder.py", "auditor_hold", "audit"))],
        "shipper": [], "MainThread": []},
}


@pytest.mark.parametrize("program", sorted(WAITERS_REAL_HOLDS))
def test_waiting_threads_do_not_hold_what_wait_released(python, pyhang, program):
    obs = observe(python, pyhang, program)
    errors = Mismatch()
    for name, holds in WAITERS_REAL_HOLDS[program].items():
        actual = participant(obs, name)
        errors.check(len(actual["holds"]) == len(holds) and all(any(_hold_ok(h, a) for a in actual["holds"]) for h in holds),
                     f"{name}: holds {[(a['object'].get('names'), a['since']) for a in actual['holds']]}, expected {holds}")
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------------------------
# Not deadlocked


def test_busy_threads_are_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_busy_workers.py", busy=True)
    check_no_deadlock(obs)
    for name in ("cruncher-1", "cruncher-2"):
        assert " at hang_busy_workers.py:" in note_of(obs, name), note_of(obs, name)
    assert note_of(obs, "MainThread") == (f"{obs.label('MainThread')} waits for cruncher-1 to finish at "
                                          f"hang_busy_workers.py:{line('hang_busy_workers.py', 'join')} in <module> "
                                          f"(c.join()  # LINE:join).")


def test_sleeping_threads_are_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_sleepers.py")
    check_no_deadlock(obs)
    for name in ("poller-1", "poller-2"):
        assert note_of(obs, name).endswith(f", at hang_sleepers.py:{line('hang_sleepers.py', 'sleep')} in poll.")


def test_socket_waits_are_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_socket_wait.py")
    check_no_deadlock(obs)
    # What the kernel says each one waits on: the socket, with its addresses and descriptor.
    assert re.search(r"waits for a connection on TCP socket listening on 127\.0\.0\.1:\d+ \(fd \d+\)",
                     note_of(obs, "listener")), note_of(obs, "listener")
    assert re.fullmatch(re.escape(obs.label("reader")) +
                        r" waits to read from (TCP socket 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+|Unix socket [^,]*) "
                        r"\(fd \d+\),? at " + re.escape(f"hang_socket_wait.py:{line('hang_socket_wait.py', 'recv')} "
                                                            f"in read_replies") +
                        # A Unix socket whose peer this process holds is a wait on that peer: its
                        # note quotes the source line, as every wait's does.
                        r"( \(.*\))?\.",
                        note_of(obs, "reader")), note_of(obs, "reader")


def test_waits_with_timeouts_are_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_timeouts.py")
    check_no_deadlock(obs)
    src = "hang_timeouts.py"
    expected = {
        "holder": ("waits for event stop ", "holder_wait", "hold_state"),
        "lock-waiter": ("waits to acquire state_lock ", "lock_wait", "wait_for_lock"),
        "cond-waiter": ("waits on condition changed ", "cond_wait", "wait_for_change"),
        "queue-waiter": ("waits for an item from queue inbox ", "queue_wait", "wait_for_mail"),
        "MainThread": ("waits for holder to finish", "join", "<module>"),
    }
    for name, (what, mark, function) in expected.items():
        note = note_of(obs, name)
        assert note.startswith(f"{obs.label(name)} {what}") and " (with a timeout) at " in note and \
            f" at {src}:{line(src, mark)} in {function} (" in note, note
    # The lock waiter's wait is annotated, with who holds the lock.
    notes = annotations(obs, "lock-waiter", At(src, "lock_wait", "wait_for_lock").location())
    assert notes and notes[0].startswith("waiting to acquire state_lock ") and \
        notes[0].endswith(f"(with a timeout), held by {obs.label('holder')}"), notes


def test_idle_thread_pool_is_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_idle_pool.py")
    check_no_deadlock(obs)
    for n in range(3):
        assert "waits for work (an idle ThreadPoolExecutor worker)" in note_of(obs, f"fetch_{n}")


def test_event_wait_with_live_ticker_is_not_deadlocked(python, pyhang):
    obs = observe(python, pyhang, "hang_event_with_ticker.py")
    check_no_deadlock(obs)
    src = "hang_event_with_ticker.py"
    assert note_of(obs, "waiter").startswith(f"{obs.label('waiter')} waits for event shutdown <threading.Event at ")
    assert note_of(obs, "waiter").endswith(f" to be set at {src}:{line(src, 'waiter')} in wait_for_shutdown "
                                           f"(shutdown.wait()  # LINE:waiter).")


@pytest.mark.parametrize("program, sleepers", [
    ("hang_sleepers.py", ("poller-1", "poller-2")),
    ("hang_idle_pool.py", ("MainThread",)),
])
def test_sleeping_threads_are_described_as_sleeping(python, pyhang, request, program, sleepers):
    # Before 3.11 time.sleep() waits in select() on no file descriptor: the kernel's view of the
    # system call (/proc/PID/task/TID/syscall) tells such a sleep from a wait for I/O.
    obs = observe(python, pyhang, program)
    for name in sleepers:
        # 3.11+ sleep to an absolute deadline (clock_nanosleep): the time left; before, select()
        # with a relative timeout: only the length of the whole sleep.
        m = re.search(r" is sleeping \(time\.sleep or similar, (?:(\d+) s left|a sleep of (\d+) s)\), at ", note_of(obs, name))
        assert m, note_of(obs, name)
        left, length = m.group(1), m.group(2)
        assert (left if python.version >= (3, 11) else length) is not None, note_of(obs, name)
        assert 3000 < int(left or length) <= 3600, note_of(obs, name)  # time.sleep(3600)
