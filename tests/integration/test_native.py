"""--native, --native-all and --native-last: native stacks merged with Python stacks.

Programs (tests/programs):
* native_mix.py — a thread blocked in lock.acquire(); a thread in libc's qsort() through ctypes
  whose Python comparison callback blocks (Python -> native -> Python -> native); a pure C thread
  (pthread_create() on libc's sleep(), named "c-sleeper") and faulthandler's watchdog thread.
* native_gil.py — four CPU-bound threads share the GIL: the waiting ones sit in take_gil().
* tests/scenarios/queue_gc_reentrancy.py — the garbage collector runs __del__ inside queue.put().

Each program is read live and from a gcore core, once per interpreter (cached), on every
interpreter of conftest.py. What cannot work on an interpreter is asserted as such, not skipped:
* Debian sid's 3.14.10 is stripped (.dynsym only) and PGO moved most of _PyEval_EvalFrameDefault
  into an unnamed `.cold` part, so its evaluation-loop frames cannot be recognised: every Python
  thread keeps its Python stack with one "native stack not merged" warning (C threads still show).
* The Debian 3.13.5 / 3.14.10 builds' thread stacks begin with an unreadable page, so gcore writes
  each non-main thread's stack as zeros (see test_diagnosis.py): in their cores only the main
  thread's native stack exists.
* take_gil() is a static function: it has a name only where there are symbols (the pyenv builds'
  .symtab; python3.11-dbg for /usr/bin/python3.11). The Debian 3.13.5 / 3.14.10 .debs have none,
  so "Waiting for the GIL" cannot be seen there.
"""
from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import time
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest

from conftest import (
    take_gcore,
    INTERPRETERS,
    PROGRAMS_DIR,
    READY_TIMEOUT,
    SCENARIOS_DIR,
    Interp,
    hung_program,
    kill_process_group,
    pyhang_json,
    run_pyhang,
)
from stack_helpers import markers

MIX = PROGRAMS_DIR / "native_mix.py"
GIL = PROGRAMS_DIR / "native_gil.py"
GC = SCENARIOS_DIR / "queue_gc_reentrancy.py"

# Native frame line of the text report (PyStack's layout).
C_LINE = re.compile(r'^    \(C\) File "(?P<file>[^"]*)", line (?P<line>\d+), in (?P<function>.+?)'
                    r'(?P<inlined> \[inlined\])? \((?P<library>[^()]*)\)$')
# The primitives a blocked lock.acquire() ends in: glibc's semaphore / futex / condition
# variable, or CPython 3.13+'s PyMutex parking lot.
WAIT_RE = re.compile(r"sem_|futex|_PySemaphore_|_PyParkingLot_|pthread_cond_|lll_lock")
GC_FUNCTIONS = {"collect", "collect_with_callback", "gc_collect_main", "gc_collect_with_callback", "_PyGC_Collect",
                "gc_collect_full", "gc_collect_young", "gc_collect_increment", "gc_collect_region", "_Py_RunGC"}


def eval_loop_recognisable(python: Interp) -> bool:
    """False where _PyEval_EvalFrameDefault frames have no symbol (see the module docstring)."""
    return not (python.kind == "debian-deb" and python.version[:2] >= (3, 14))


def has_static_symbols(python: Interp) -> bool:
    """Names for static functions (take_gil, gc_collect_main): pyenv builds and Debian's python3.11."""
    return python.kind in ("pyenv", "debian-system")


def thread_stacks_in_core(python: Interp) -> bool:
    return python.kind != "debian-deb"


def base(name: str) -> str:
    """'take_gil.lto_priv.0' -> 'take_gil'."""
    return name.split(".")[0] if "(" not in name else name


def kinds(frames: List[dict]) -> str:
    return "".join({"python": "P", "native": "C", "marker": "M"}[f["kind"]] for f in frames)


def describe(frames: List[dict]) -> str:
    out = []
    for f in frames:
        if f["kind"] == "marker":
            out.append(f"  <{f['marker']}>")
        elif f["kind"] == "python":
            out.append(f"  (Python) {f['function']} {os.path.basename(f['file'])}:{f['line']}")
        else:
            out.append(f"  (C) {f['function']}{' [inlined]' if f['inlined'] else ''} ({f['library']}) "
                       f"{f['file']}:{f['line']}")
    return "\n".join(out)


def thread(doc: dict, name: str) -> dict:
    for t in doc["processes"][0]["threads"]:
        if t["name"] == name:
            return t
    raise AssertionError(f"no thread {name!r} in {[t['name'] for t in doc['processes'][0]['threads']]}")


def python_threads(doc: dict) -> List[dict]:
    return [t for t in doc["processes"][0]["threads"] if not t.get("native_only")]


def native_only_threads(doc: dict) -> List[dict]:
    return [t for t in doc["processes"][0]["threads"] if t.get("native_only")]


def py_shape(t: dict) -> List[Tuple]:
    """The Python frames and markers of a thread, as compared between reports."""
    return [(f["kind"], f.get("function"), f.get("file"), f.get("line"), f.get("marker"))
            for f in t["frames"] if f["kind"] != "native"]


def index_of(frames: List[dict], kind: str, function: Optional[str] = None, start: int = 0, line: int = 0) -> int:
    for i in range(start, len(frames)):
        f = frames[i]
        if f["kind"] == kind and (function is None or f.get("function") == function or
                                  (kind == "native" and base(f.get("function", "")) == function)):
            if not line or f.get("line") == line:
                return i
    return -1


def runtime_library(doc: dict) -> str:
    return os.path.basename(doc["processes"][0]["python"]["library"])


class Reports(NamedTuple):
    native: dict             # --native --json (with the analysis)
    text: str                # --native -v (text, with the analysis)
    all: dict                # --native-all --json --no-analysis
    last: dict               # --native-last --json --no-analysis
    plain: dict              # --json --no-analysis (no native stacks)
    analysed: dict           # --json (no native stacks, with the analysis)
    codes: Dict[str, int]    # exit status of each run
    stderr: str


def _gcore(pid: int, prefix: Path) -> Path:
    g = take_gcore(pid, prefix)
    core = Path(f"{prefix}.{pid}")
    assert g.returncode == 0 and core.is_file(), f"gcore failed ({g.returncode}): {g.stdout}{g.stderr}"
    return core


def _reports(pyhang: str, *target) -> Reports:
    codes = {}
    stderr = ""
    native, p = pyhang_json(pyhang, *target, "--native", with_proc=True)
    codes["native"] = p.returncode
    stderr += p.stderr
    t = run_pyhang(pyhang, *target, "--native", "-v")
    codes["text"] = t.returncode
    stderr += t.stderr
    everything, p = pyhang_json(pyhang, *target, "--native-all", "--no-analysis", with_proc=True)
    codes["all"] = p.returncode
    last, p = pyhang_json(pyhang, *target, "--native-last", "--no-analysis", with_proc=True)
    codes["last"] = p.returncode
    plain, p = pyhang_json(pyhang, *target, "--no-analysis", with_proc=True)
    codes["plain"] = p.returncode
    analysed, p = pyhang_json(pyhang, *target, with_proc=True)
    codes["analysed"] = p.returncode
    return Reports(native, t.stdout, everything, last, plain, analysed, codes, stderr)


_CACHE: Dict[Tuple[str, str], Tuple[Reports, Reports]] = {}


def live_and_core(python: Interp, pyhang: str, script: Path, tmp_path_factory) -> Tuple[Reports, Reports]:
    """The reports of `script` read live and from a gcore core (once per interpreter)."""
    key = (python.id, script.name)
    if key not in _CACHE:
        with hung_program(python, script) as prog:
            live = _reports(pyhang, "remote", prog.pid)
            core_file = _gcore(prog.pid, tmp_path_factory.mktemp("native") / "core")
        try:
            core = _reports(pyhang, "core", core_file)
        finally:
            core_file.unlink()
        _CACHE[key] = (live, core)
    return _CACHE[key]


SOURCES = ["live", "core"]


@pytest.fixture(params=SOURCES)
def source(request) -> str:
    return request.param


def pick(pair: Tuple[Reports, Reports], source: str) -> Reports:
    return pair[0] if source == "live" else pair[1]


def merged_here(python: Interp, source: str, thread_name: str) -> bool:
    """Whether a Python thread's native stack can be merged in this report."""
    if not eval_loop_recognisable(python):
        return False
    if source == "core" and not thread_stacks_in_core(python) and thread_name != "MainThread":
        return False
    return True


# --------------------------------------------------------------------------------------------
# native_mix.py


@pytest.fixture
def mix(python, pyhang, tmp_path_factory):
    return live_and_core(python, pyhang, MIX, tmp_path_factory)


def test_runs_cleanly(python, mix, source):
    r = pick(mix, source)
    assert set(r.codes.values()) <= {0, 1}, (r.codes, r.stderr)
    assert "pyhang:" not in r.stderr, r.stderr
    assert r.native["processes"][0]["source"] == source


def test_python_frames_are_the_ones_read_without_native(python, mix, source):
    """Merging never loses, adds or reorders a Python frame or marker, in any mode."""
    r = pick(mix, source)
    plain = {t["tid"]: py_shape(t) for t in python_threads(r.plain)}
    for doc in (r.native, r.all, r.last):
        got = {t["tid"]: py_shape(t) for t in python_threads(doc)}
        assert got == plain


@pytest.mark.parametrize("name", ["locker", "MainThread"])
def test_lock_wait_shows_the_native_wait_under_the_python_frame(python, mix, source, name):
    r = pick(mix, source)
    t = thread(r.native, name)
    frames = t["frames"]
    if not merged_here(python, source, name):
        assert kinds(frames).replace("M", "") == "P" * len(python_threads_frames(t)), describe(frames)
        assert sum("native stack not merged" in w for w in t.get("warnings", [])) == 1, t.get("warnings")
        return
    assert not any("not merged" in w for w in t.get("warnings", [])), t.get("warnings")
    innermost_py = max(i for i, f in enumerate(frames) if f["kind"] == "python")
    below = frames[innermost_py + 1:]
    assert below and all(f["kind"] == "native" for f in below), describe(frames)
    assert any(WAIT_RE.search(f["function"]) for f in below), describe(frames)
    assert frames[-1]["library"].startswith("libc"), describe(frames)   # the system call
    if name == "locker":
        assert frames[innermost_py]["function"] == "locker"
        assert frames[innermost_py]["line"] == markers(str(MIX))["locker"]


def python_threads_frames(t: dict) -> List[dict]:
    return [f for f in t["frames"] if f["kind"] == "python"]


def test_ctypes_callback_interleaves_python_and_native_frames(python, mix, source):
    """sorter -> (C) ctypes, ffi, qsort -> compare (the callback) -> (C) the lock wait."""
    r = pick(mix, source)
    t = thread(r.native, "sorter")
    frames = t["frames"]
    if not merged_here(python, source, "sorter"):
        assert all(f["kind"] != "native" for f in frames), describe(frames)
        assert sum("native stack not merged" in w for w in t.get("warnings", [])) == 1, t.get("warnings")
        return
    m = markers(str(MIX))
    i_sorter = index_of(frames, "python", "sorter", line=m["qsort"])
    i_qsort = next((i for i, f in enumerate(frames) if f["kind"] == "native" and "qsort" in f["function"]), -1)
    i_compare = index_of(frames, "python", "compare", line=m["compare"])
    assert 0 <= i_sorter < i_qsort < i_compare < len(frames) - 1, describe(frames)
    between = frames[i_sorter + 1:i_compare]
    assert all(f["kind"] == "native" for f in between), describe(frames)
    assert any("_ctypes" in f["library"] for f in frames[i_sorter + 1:i_qsort]), describe(frames)
    assert any("_ctypes" in f["library"] for f in frames[i_qsort + 1:i_compare]), describe(frames)   # the closure
    assert any(WAIT_RE.search(f["function"]) for f in frames[i_compare + 1:]), describe(frames)
    # The text report shows the same order.
    text = block(r.text, "sorter")
    order = [l for l in text if l.startswith("    (Python)") or (l.startswith("    (C)") and "qsort" in l)]
    assert [("sorter" in l, "qsort" in l, "compare" in l) for l in order][-3:] == \
        [(True, False, False), (False, True, False), (False, False, True)], "\n".join(text)


def test_c_threads_show_their_native_stack(python, mix, source):
    r = pick(mix, source)
    threads = native_only_threads(r.native)
    assert len(threads) == 2, [t["tid"] for t in threads]   # c-sleeper and faulthandler's watchdog
    assert not native_only_threads(r.plain)
    tids = {t["tid"] for t in r.native["processes"][0]["threads"]}
    assert len(tids) == len(r.native["processes"][0]["threads"])   # every OS thread once
    for t in threads:
        assert t["frames"] and all(f["kind"] == "native" for f in t["frames"]), describe(t["frames"])
        assert t["ident"] == 0 and not t["is_main"]
    if source == "core" and not thread_stacks_in_core(python):
        return   # zeroed stacks: only the innermost frame
    sleepers = [t for t in threads if any(base(f["function"]) in ("sleep", "__sleep") for f in t["frames"])]
    assert len(sleepers) == 1, "\n\n".join(describe(t["frames"]) for t in threads)
    sleeper = sleepers[0]
    if source == "live":
        assert sleeper["name"] == "c-sleeper"
    assert any("nanosleep" in f["function"] for f in sleeper["frames"]), describe(sleeper["frames"])
    watchdog = [t for t in threads if t is not sleeper][0]
    lib = runtime_library(r.native)
    assert any(f["library"] == lib for f in watchdog["frames"]), describe(watchdog["frames"])
    if has_static_symbols(python):
        assert any(base(f["function"]) == "faulthandler_thread" for f in watchdog["frames"]), describe(watchdog["frames"])
    # Text: the C threads' blocks list native frames and say there is no Python frame.
    text = block(r.text, sleeper["name"], tid=sleeper["tid"])
    assert text[-1] == "    (no Python frames)", "\n".join(text)
    assert all(C_LINE.match(l) for l in text[1:-1] if not l.startswith("    WARNING")), "\n".join(text)


def test_native_hides_the_interpreter_and_native_all_does_not(python, mix, source):
    r = pick(mix, source)
    name = "locker"
    if not merged_here(python, source, name):
        for doc in (r.native, r.all):
            assert all(f["kind"] != "native" for f in thread(doc, name)["frames"])
        return
    native = thread(r.native, name)["frames"]
    everything = thread(r.all, name)["frames"]
    assert not any(f["kind"] == "native" and f["function"].startswith("_PyEval_EvalFrameDefault") for f in native)
    evals = [i for i, f in enumerate(everything)
             if f["kind"] == "native" and f["function"].startswith("_PyEval_EvalFrameDefault") and not f["inlined"]]
    entries = 4 if python.version < (3, 11) else None
    assert evals, describe(everything)
    if entries:
        assert len(evals) == entries   # _bootstrap, _bootstrap_inner, run, locker: one each
    # Every eval frame is directly followed by the Python frames it ran.
    for i in evals:
        assert everything[i + 1]["kind"] == "python", describe(everything)
    assert len(everything) > len(native)
    native_fns = [f["function"] for f in native if f["kind"] == "native"]
    all_fns = [f["function"] for f in everything if f["kind"] == "native"]
    assert set(native_fns) <= set(all_fns)


def test_native_last_shows_only_what_is_below_the_innermost_python_frame(python, mix, source):
    r = pick(mix, source)
    for t in python_threads(r.last):
        frames = t["frames"]
        pys = [i for i, f in enumerate(frames) if f["kind"] == "python"]
        assert pys and all(f["kind"] != "native" for f in frames[:pys[-1]]), describe(frames)
        if merged_here(python, source, t["name"]):
            assert frames[pys[-1] + 1:], describe(frames)
            assert [f["function"] for f in frames[pys[-1] + 1:]] == \
                [f["function"] for f in thread(r.native, t["name"])["frames"][-len(frames[pys[-1] + 1:]):]]


def test_json_native_frames(python, mix, source):
    r = pick(mix, source)
    natives = [f for t in r.native["processes"][0]["threads"] for f in t["frames"] if f["kind"] == "native"]
    assert natives
    for f in natives:
        assert {"function", "file", "line", "library", "pc", "inlined"} <= set(f), f
        assert isinstance(f["pc"], int) and isinstance(f["line"], int) and isinstance(f["inlined"], bool)
        assert f["function"] and f["library"]
    assert all(f["pc"] > 0 for f in natives if not f["inlined"])
    if has_static_symbols(python) and (source == "live" or thread_stacks_in_core(python)):
        # Debug info: files, lines and inlined frames (pyenv builds: -g; python3.11-dbg, libc6-dbg).
        assert any(f["inlined"] for f in natives)
        lock = [f for f in natives if base(f["function"]) == "lock_PyThread_acquire_lock"]
        assert lock and all(f["file"].endswith("_threadmodule.c") and f["line"] > 0 for f in lock), lock
    for t in r.native["processes"][0]["threads"]:
        assert isinstance(t["waiting_for_gil"], bool) and isinstance(t["dropping_gil"], bool)


def block(text: str, name: str, tid: Optional[int] = None) -> List[str]:
    """The lines of one thread's block in the text report."""
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("Traceback for thread ") and (f"({name})" in l or (tid and l.startswith(f"Traceback for thread {tid} "))):
            j = i + 1
            while j < len(lines) and lines[j] != "":
                j += 1
            return lines[i:j]
    raise AssertionError(f"no block for thread {name} in:\n{text}")


def test_text_report_layout(python, mix, source):
    r = pick(mix, source)
    c_lines = [l for l in r.text.splitlines() if l.startswith("    (C) ")]
    assert c_lines and all(C_LINE.match(l) for l in c_lines), [l for l in c_lines if not C_LINE.match(l)][:5]
    if source == "live":
        assert re.search(r"^The process was stopped for \d+\.\d+ ms$", r.text, re.M)
    # Annotations of the analysis stay under their Python frame, never under a C frame.
    lines = r.text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("        >>> "):
            k = i - 1
            while lines[k].startswith("        >>> "):
                k -= 1
            assert not lines[k].startswith("    (C)"), "\n".join(lines[max(0, i - 3):i + 1])
    if merged_here(python, source, "locker"):
        locker = block(r.text, "locker")
        k = next(i for i, l in enumerate(locker) if "in locker" in l)
        assert locker[k + 1].strip() == "HELD.acquire()  # LINE:locker"
        assert locker[k + 2].startswith("        >>> waiting to acquire") or locker[k + 2].startswith("    (C)"), \
            "\n".join(locker)
        assert any(l.startswith("    (C)") for l in locker[k + 1:])


def test_unmergeable_interpreter_says_so_once_per_thread(python, mix, source):
    r = pick(mix, source)
    for t in python_threads(r.native):
        warns = [w for w in t.get("warnings", []) if "native stack not merged" in w]
        if merged_here(python, source, t["name"]):
            assert not warns, warns
        else:
            assert len(warns) == 1, t.get("warnings")
            assert "showing the Python stack alone" in warns[0]


# --------------------------------------------------------------------------------------------
# The garbage collector: main -> put -> (garbage collection) -> __del__ -> put


@pytest.fixture
def gc_reports(python, pyhang, tmp_path_factory):
    return live_and_core(python, pyhang, GC, tmp_path_factory)


def test_garbage_collection_marker_keeps_its_place(python, gc_reports, source):
    r = pick(gc_reports, source)
    t = thread(r.native, "MainThread")
    frames = t["frames"]
    assert t["gc_collecting"], describe(frames)
    i_main = index_of(frames, "python", "main")
    i_put = index_of(frames, "python", "put", start=i_main + 1)
    i_gc = next((i for i, f in enumerate(frames) if f["kind"] == "marker" and f["marker"] == "garbage collection"), -1)
    i_del = index_of(frames, "python", "__del__", start=max(i_gc, 0))
    i_put2 = index_of(frames, "python", "put", start=max(i_del, 0))
    assert 0 <= i_main < i_put < i_gc < i_del < i_put2, describe(frames)
    assert py_shape(t) == py_shape(thread(r.plain, "MainThread"))
    if merged_here(python, source, "MainThread"):
        assert "C" in kinds(frames[i_gc + 1:i_del]), describe(frames)
        if has_static_symbols(python):
            assert any(f["kind"] == "native" and base(f["function"]) in GC_FUNCTIONS
                       for f in frames[i_gc + 1:i_del]), describe(frames)
        assert any(WAIT_RE.search(f["function"]) for f in frames[i_put2:] if f["kind"] == "native"), describe(frames)
    header = next(l for l in r.text.splitlines() if l.startswith("Traceback for thread") and "(MainThread)" in l)
    assert "[Garbage collecting]" in header


@pytest.mark.parametrize("program", ["mix", "gc"])
def test_the_diagnosis_is_the_same_with_native(python, pyhang, tmp_path_factory, source, program):
    """The analysis reads the Python frames only: --native changes the stacks, not the diagnosis."""
    r = pick(live_and_core(python, pyhang, MIX if program == "mix" else GC, tmp_path_factory), source)
    assert r.native["diagnosis"] == r.analysed["diagnosis"]
    assert r.codes["native"] == r.codes["analysed"] == r.codes["text"]
    verdict = r.text.rstrip().splitlines()[-1]
    assert verdict == r.analysed["diagnosis"]["summary"]


# --------------------------------------------------------------------------------------------
# The GIL: several CPU-bound threads


class Running(NamedTuple):
    pid: int
    proc: subprocess.Popen


def start_running(python: Interp, script: Path) -> Running:
    """Starts a program that never sleeps (hung_program waits for every thread to sleep)."""
    proc = subprocess.Popen([python.path, str(script)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, cwd=str(script.parent))
    deadline = time.monotonic() + READY_TIMEOUT
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("READY ") or time.monotonic() > deadline:
        kill_process_group(proc.pid, proc)
        pytest.fail(f"{script.name} did not start: {line!r}")
    time.sleep(0.3)   # the spinners are all started and contend for the GIL
    return Running(int(line.split()[1]), proc)


def gil_waiters(doc: dict) -> List[dict]:
    return [t for t in doc["processes"][0]["threads"] if t["name"].startswith("spinner-") and t["waiting_for_gil"]]


@pytest.fixture
def gil_reports(python, pyhang, tmp_path_factory):
    key = (python.id, GIL.name)
    if key not in _CACHE:
        run = start_running(python, GIL)
        try:
            # Which threads wait at a given moment is up to the scheduler, and each run is a new
            # moment: the JSON and the text are taken (and checked) separately.
            doc = text = None
            for _ in range(10):
                d, proc = pyhang_json(pyhang, "remote", run.pid, "--native", "--no-analysis", with_proc=True)
                assert proc.returncode == 0, proc.stderr
                if doc is None and (gil_waiters(d) or not has_static_symbols(python)):
                    doc = d
                t = run_pyhang(pyhang, "remote", run.pid, "--native", "--no-analysis").stdout
                if text is None and ("[Waiting for the GIL]" in t or not has_static_symbols(python)):
                    text = t
                if doc is not None and text is not None:
                    break
            assert doc is not None and text is not None, "no spinner was ever seen waiting for the GIL"
            live = (doc, text)
            core_file = _gcore(run.pid, tmp_path_factory.mktemp("gil") / "core")
        finally:
            kill_process_group(run.proc.pid, run.proc)
        try:
            core = (pyhang_json(pyhang, "core", core_file, "--native", "--no-analysis"),
                    run_pyhang(pyhang, "core", core_file, "--native", "--no-analysis").stdout)
        finally:
            core_file.unlink()
        _CACHE[key] = (live, core)
    return _CACHE[key]


def test_gil_markers(python, gil_reports, source):
    doc, text = gil_reports[0] if source == "live" else gil_reports[1]
    spinners = [t for t in doc["processes"][0]["threads"] if t["name"].startswith("spinner-")]
    assert len(spinners) == 4
    if not has_static_symbols(python) or (source == "core" and not thread_stacks_in_core(python)):
        # take_gil has no name in these builds (or the core has no thread stacks).
        assert not gil_waiters(doc)
        return
    waiters = gil_waiters(doc)
    assert waiters, "\n\n".join(describe(t["frames"]) for t in spinners)
    for t in waiters:
        assert not t["holds_gil"]
        natives = [base(f["function"]) for f in t["frames"] if f["kind"] == "native"]
        assert "take_gil" in natives, describe(t["frames"])
        i_spin = index_of(t["frames"], "python", "spin")
        i_take = index_of(t["frames"], "native", "take_gil")
        assert 0 <= i_spin < i_take, describe(t["frames"])
    # The text report (another moment of the same program): the headers say it.
    headers = [l for l in text.splitlines() if l.startswith("Traceback for thread")]
    waiting = [h for h in headers if "[Waiting for the GIL]" in h]
    assert waiting, text
    for h in waiting:
        assert "[Has the GIL]" not in h, h
        tid = int(h.split()[3])
        assert any(re.search(r"in take_gil\b", l) for l in block(text, "", tid=tid)), "\n".join(block(text, "", tid=tid))
    for t in spinners:
        if t["dropping_gil"]:
            assert any(base(f["function"]) == "drop_gil" for f in t["frames"]), describe(t["frames"])
    # At most one thread holds the GIL.
    assert sum(t["holds_gil"] for t in doc["processes"][0]["threads"]) <= 1


# --------------------------------------------------------------------------------------------
# Untrusted input: a core whose thread stacks are garbage still gives a report


def _scramble_stacks(core: Path, seed: int = 4) -> int:
    """Overwrites, in place, the memory around each thread's stack pointer (from NT_PRSTATUS)
    with random bytes. Returns how many stacks were scrambled."""
    rnd = random.Random(seed)
    data = bytearray(core.read_bytes())
    assert data[:4] == b"\x7fELF" and data[4] == 2
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, notes = [], []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        (loads if p_type == 1 else notes if p_type == 4 else []).append((p_offset, p_vaddr, p_filesz))
    rsps = []
    for off, _, size in notes:
        pos = off
        while pos + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            if ntype == 1 and descsz >= 112 + 27 * 8:   # NT_PRSTATUS: pr_reg at 112, rsp = reg 19
                rsps.append(struct.unpack_from("<Q", data, desc + 112 + 19 * 8)[0])
            pos = desc + ((descsz + 3) & ~3)
    done = 0
    for rsp in rsps:
        for off, vaddr, size in loads:
            if vaddr <= rsp < vaddr + size:
                start = off + (rsp - vaddr)
                end = min(off + size, start + 64 * 1024)
                data[start:end] = bytes(rnd.getrandbits(8) for _ in range(end - start))
                done += 1
                break
    core.write_bytes(bytes(data))
    return done


def test_garbage_stacks_in_a_core_still_give_a_report(pyhang, tmp_path):
    python = next((i for i in INTERPRETERS if i.kind == "pyenv" and i.version[:2] == (3, 12)), INTERPRETERS[0])
    with hung_program(python, MIX) as prog:
        core = _gcore(prog.pid, tmp_path / "core")
    assert _scramble_stacks(core) >= 5
    for mode in ("--native", "--native-all", "--native-last"):
        r = run_pyhang(pyhang, "core", core, mode)
        assert r.returncode in (0, 1), (r.returncode, r.stderr)
        assert "Traceback for thread" in r.stdout
        doc = pyhang_json(pyhang, "core", core, mode, "--no-analysis")
        for t in doc["processes"][0]["threads"]:
            assert len([f for f in t["frames"] if f["kind"] == "native"]) <= 512 * 33
    core.unlink()


def test_native_needs_the_threads_stopped(pyhang):
    """--no-block does not stop the target, so there is nothing to unwind: a process warning."""
    with hung_program(INTERPRETERS[0], MIX) as prog:
        doc, proc = pyhang_json(pyhang, "remote", prog.pid, "--native", "--no-block", "--no-analysis", with_proc=True)
    assert proc.returncode == 0, proc.stderr
    assert any("native stacks are not available" in w for w in doc["processes"][0]["warnings"])
    assert not native_only_threads(doc)


def test_native_modes_exclude_each_other(pyhang):
    r = run_pyhang(pyhang, "remote", "1", "--native", "--native-all")
    assert r.returncode == 2, r.stderr


# --------------------------------------------------------------------------------------------
# The debug-info cache (src/native/debuginfo_cache.h)


def _build_id(path: str) -> Optional[str]:
    r = subprocess.run(["readelf", "-n", path], capture_output=True, text=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    return m.group(1) if m else None


def test_debuginfo_cache_changes_nothing_but_time(pyhang, tmp_path):
    """The same report with the cache off, cold and warm; the cache holds uncompressed, read-only
    copies of the compressed debug files (libc6-dbg's libc), named by build-id."""
    if not shutil_which("readelf"):
        pytest.skip("readelf (binutils) is not installed")
    # An interpreter on the system's libc (the Debian .deb builds bring their own).
    python = next((i for i in INTERPRETERS if i.kind == "pyenv" and i.version[:2] == (3, 12)),
                  next((i for i in INTERPRETERS if i.kind != "debian-deb"), None))
    if python is None:
        pytest.skip("every selected interpreter runs on its own libc, not the system's")
    cache = tmp_path / "cache"
    with hung_program(python, MIX) as prog:
        runs = [run_pyhang(pyhang, "remote", prog.pid, "--native", "--no-analysis",
                           env={"PYHANG_DEBUGINFO_CACHE": value})
                for value in ("off", str(cache), str(cache))]
    assert all(r.returncode == 0 and r.stderr == "" for r in runs), [(r.returncode, r.stderr) for r in runs]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    libc_id = _build_id("/lib/x86_64-linux-gnu/libc.so.6")
    libc_debug = Path(f"/usr/lib/debug/.build-id/{libc_id[:2]}/{libc_id[2:]}.debug") if libc_id else None
    copies = sorted(cache.glob("*.debug")) if cache.is_dir() else []
    if libc_debug and libc_debug.is_file() and " C " in subprocess.run(
            ["readelf", "-S", "-W", str(libc_debug)], capture_output=True, text=True).stdout.split("Key to Flags")[0]:
        assert cache / f"{libc_id}.debug" in copies, copies
    for c in copies:
        assert re.fullmatch(r"[0-9a-f]+\.debug", c.name)
        assert (c.stat().st_mode & 0o777) == 0o400
        sections = subprocess.run(["readelf", "-S", "-W", str(c)], capture_output=True, text=True).stdout
        debug = [l for l in sections.splitlines() if " .debug_" in l]
        assert debug and not any(re.search(r"\s[A-Z]*C[A-Z]*\s+\d+\s+\d+\s+\d+\s*$", l) for l in debug), debug
    assert not list(cache.glob(".*.tmp")) if cache.is_dir() else True


def shutil_which(name: str) -> Optional[str]:
    import shutil
    return shutil.which(name)
