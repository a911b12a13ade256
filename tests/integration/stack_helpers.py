"""Helpers shared by test_stacks.py, test_errors.py and test_harmless.py (not a test module).

* ``markers(path)``: {name: line} of the ``# LINE:<name>`` comments of a target program.
* ``stdlib(python)``: file names of the interpreter's threading/queue/asyncio modules, and
  ``stdlib_line(path, cls, func, pattern)``: the line of ``pattern`` inside ``cls.func`` in a
  stdlib file, so that expected line numbers are derived from the sources, not hard-coded.
* ``qualname(python, q)``: what pyhang reports as a frame's qualname: co_qualname on 3.11+,
  the bare function name before 3.11 (json_report.cpp / code_reader.cpp: qualname = co_name).
* ``frame_tuples(thread)``: (function, qualname, file, line) of each frame, outermost first;
  marker frames as ("<marker>", text, None, None).
* ``render_thread_text(...)``: the text report block of one thread, from the JSON of the
  same (still hung) process, following text_report.cpp's documented layout.
* ``check_invariants(doc, pid)``: what must hold for every report of a live, hung target.
"""
from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from typing import Dict, List, Optional, Sequence, Tuple

from conftest import Interp

_MARKER_RE = re.compile(r"#\s*LINE:(\w+)")


@functools.lru_cache(maxsize=None)
def markers(path: str) -> Dict[str, int]:
    """{marker name: 1-based line} of every ``# LINE:<name>`` comment in the file."""
    found: Dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            for m in _MARKER_RE.finditer(line):
                assert m.group(1) not in found, f"duplicate marker {m.group(1)} in {path}"
                found[m.group(1)] = number
    return found


@functools.lru_cache(maxsize=None)
def source_lines(path: str) -> List[str]:
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def source_of(path: str, line: int) -> str:
    """The text pyhang prints for ``line`` of ``path``: the line with blanks stripped."""
    return source_lines(path)[line - 1].strip(" \t\r")


def line_containing(path: str, needle: str) -> int:
    """The only line of ``path`` that contains ``needle``."""
    hits = [n for n, text in enumerate(source_lines(path), 1) if needle in text]
    assert len(hits) == 1, f"{needle!r} found on lines {hits} of {path}"
    return hits[0]


@functools.lru_cache(maxsize=None)
def _stdlib(exe: str) -> Dict[str, str]:
    # asyncio.runners is 3.7+ (None before).
    code = ("import json, threading, queue, asyncio.base_events, asyncio.events, importlib.util;"
            "r = importlib.util.find_spec('asyncio.runners');"
            "print(json.dumps({'threading': threading.__file__, 'queue': queue.__file__,"
            "'runners': r.origin if r else None, 'base_events': asyncio.base_events.__file__,"
            "'events': asyncio.events.__file__}))")
    out = subprocess.run([exe, "-I", "-c", code], capture_output=True, text=True, timeout=60,
                         check=True)
    return json.loads(out.stdout)


def stdlib(python: Interp) -> Dict[str, str]:
    """{'threading': path, 'queue': path, 'runners': ..., 'base_events': ..., 'events': ...}
    as the interpreter itself reports them (module.__file__)."""
    return _stdlib(python.path)


@functools.lru_cache(maxsize=None)
def stdlib_line(path: str, cls: Optional[str], func: str, pattern: str) -> int:
    """Line of the first match of regex ``pattern`` after ``def func(`` inside ``class cls``
    (or at module level when cls is None) in ``path``."""
    lines = source_lines(path)
    start = 0
    indent = ""
    if cls is not None:
        start = next(i for i, t in enumerate(lines) if re.match(rf"class {cls}\b", t))
        indent = "    "
    def_re = re.compile(rf"^{indent}def {func}\(")
    start = next(i for i in range(start, len(lines)) if def_re.match(lines[i]))
    rx = re.compile(pattern)
    for i in range(start + 1, len(lines)):
        if re.match(rf"^{indent}(def |class )|^\S", lines[i]) and lines[i].strip():
            break  # the next function: pattern not found inside this one
        if rx.search(lines[i]):
            return i + 1
    raise AssertionError(f"{pattern!r} not found in {cls}.{func} of {path}")


def qualname(python: Interp, q: str) -> str:
    """The qualname pyhang reports for a function whose real qualname is ``q``."""
    return q if python.version >= (3, 11) else q.rsplit(".", 1)[-1]


def expect(python: Interp, q: str, file: str, line: int) -> Tuple[str, str, str, int]:
    """An expected frame tuple (function, qualname, file, line)."""
    return (q.rsplit(".", 1)[-1], qualname(python, q), str(file), line)


def threading_prefix(python: Interp) -> List[Tuple[str, str, str, int]]:
    """The frames of threading.Thread's bootstrap, outermost first, down to Thread.run."""
    th = stdlib(python)["threading"]
    return [
        expect(python, "Thread._bootstrap", th,
               stdlib_line(th, "Thread", "_bootstrap", r"self\._bootstrap_inner\(\)")),
        expect(python, "Thread._bootstrap_inner", th,
               stdlib_line(th, "Thread", "_bootstrap_inner",
                           r"self\.run\(\)|self\._context\.run\(self\.run\)")),
    ]


def thread_run_frame(python: Interp):
    th = stdlib(python)["threading"]
    return expect(python, "Thread.run", th,
                  stdlib_line(th, "Thread", "run", r"self\._target\(\*self\._args"))


def frame_tuples(thread: dict) -> List[tuple]:
    out = []
    for f in thread["frames"]:
        if f["kind"] == "marker":
            out.append(("<marker>", f["marker"], None, None))
        else:
            out.append((f["function"], f["qualname"], f["file"], f["line"]))
    return out


def by_name(doc: dict) -> Dict[str, dict]:
    """{thread name: thread} of the only process; names must be unique."""
    threads = doc["processes"][0]["threads"]
    names = [t["name"] for t in threads]
    assert len(names) == len(set(names)), f"duplicate thread names: {names}"
    return {t["name"]: t for t in threads}


def variables(frame: dict, which: str) -> Dict[str, str]:
    """{name: repr} of a frame's "arguments" or "locals" (names must be unique)."""
    vs = frame[which]
    names = [v["name"] for v in vs]
    assert len(names) == len(set(names)), f"duplicate variable names in {which}: {names}"
    return {v["name"]: v["repr"] for v in vs}


def names(frame: dict, which: str) -> List[str]:
    return [v["name"] for v in frame[which]]


_OBJ_RE = re.compile(r"^<(.+) at 0x([0-9a-f]+)>$")


def assert_object_repr(var: dict, type_name: str) -> None:
    """``var`` (a JSON variable) is rendered as ``<type_name at 0x<its address>>``."""
    m = _OBJ_RE.match(var["repr"])
    assert m, var
    assert m.group(1) == type_name, var
    assert int(m.group(2), 16) == var["address"] != 0, var


def proc_tids(pid: int) -> List[int]:
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))


def check_invariants(doc: dict, pid: int, tids: Sequence[int], *, locals_: bool,
                     python: Interp, allow_shared_ident: bool = False) -> dict:
    """Checks every report of a hung live target must pass; returns the process object."""
    assert doc["schema"] == "pyhang/1"
    assert doc["warnings"] == []
    assert len(doc["processes"]) == 1
    p = doc["processes"][0]
    assert p["pid"] == pid
    assert p["source"] == "live"
    assert isinstance(p["stop_ms"], (int, float)) and p["stop_ms"] >= 0
    assert p["executable"] == os.path.realpath(python.path)
    assert p["command_line"].split(" ")[0] == python.path
    assert isinstance(p["tasks"], list)  # asyncio tasks: not under test here
    assert p["warnings"] == []
    v = python.version
    want_version = f"{v[0]}.{v[1]}.{v[2]}" if v >= (3, 11) else f"{v[0]}.{v[1]}"
    assert p["python"]["version"] == want_version
    assert p["python"]["static"] == (python.kind != "pyenv")
    assert os.path.isabs(p["python"]["library"])
    threads = p["threads"]
    assert threads, "no threads"
    mains = [t for t in threads if t["is_main"]]
    assert len(mains) == 1, [(t["name"], t["tid"]) for t in mains]
    assert mains[0]["tid"] == pid
    for t in threads:
        assert t["tid"] in tids, (t["name"], t["tid"], tids)
        assert t["ident"] != 0
        assert t["kernel_state"] == "S", t
        assert t["holds_gil"] is False, t["name"]
        assert "warnings" not in t, t["warnings"]
        for f in t["frames"]:
            if f["kind"] == "marker":
                assert set(f) == {"kind", "marker"}
                continue
            assert f["kind"] == "python"
            assert "error" not in f, f
            assert isinstance(f["line"], int) and f["line"] > 0, f
            assert isinstance(f["is_entry"], bool)
            if locals_:
                for var in f["arguments"] + f["locals"]:
                    assert set(var) == {"name", "repr", "type", "address"}, var
                    assert var["address"] != 0 and var["type"], var
            else:
                assert "arguments" not in f and "locals" not in f
            if f["file"].startswith("/") and os.path.exists(f["file"]):
                want = source_of(f["file"], f["line"])
                if want:
                    assert f["source"] == want, f
                else:
                    assert "source" not in f
            elif f["file"].startswith("<"):
                assert "source" not in f
    idents = [t["ident"] for t in threads]
    if not allow_shared_ident:
        assert len(set(idents)) == len(idents), idents
    return p


LONGEST_LINE, LONGEST_NAME = 300, 120  # text_report.cpp: kLongestLine, kLongestName


def shorten(text: str, limit: int) -> str:
    """terminal_text.cpp's shortenForTerminal: the text report cuts long text, JSON keeps it."""
    return text if len(text) <= limit else f"{text[:limit]}[... {len(text) - limit} more characters]"


def render_thread_text(thread: dict, locals_: bool) -> str:
    """The block text_report.cpp prints for ``thread`` (without diagnosis annotations)."""
    if thread["tid"] == 0 and not thread["frames"]:  # a thread state starting or ending
        return "Traceback for a thread state without an OS thread (a thread starting or ending):\n    (no Python frames)\n"
    header = f"Traceback for thread {thread['tid']}"
    if thread["name"]:
        header += f" ({shorten(thread['name'], LONGEST_NAME)})"
    if thread["is_main"] and thread["name"] != "MainThread":
        header += " [Main thread]"
    if thread["holds_gil"]:
        header += " [Has the GIL]"
    if thread["gc_collecting"]:
        header += " [Garbage collecting]"
    if thread.get("state"):  # the analysis's state word (the JSON has it when the analysis ran)
        header += f" [{thread['state'].replace('-', ' ')}]"
    lines = [header + " (most recent call last):"]
    any_python = False
    for f in thread["frames"]:
        if f["kind"] == "marker":
            lines.append(f"    <{f['marker']}: the frames below were called by it>")
            continue
        any_python = True
        lines.append(f"    (Python) File \"{shorten(f['file'], LONGEST_LINE)}\", line {f['line']}, "
                     f"in {shorten(f['function'], LONGEST_NAME)}")
        if f.get("source"):
            lines.append(f"        {shorten(f['source'], LONGEST_LINE)}")
        if locals_:
            for title, key in (("Arguments", "arguments"), ("Locals", "locals")):
                if f[key]:
                    lines.append(f"      {title}:")
                    lines.extend(f"        {shorten(v['name'], LONGEST_NAME)}: {shorten(v['repr'], LONGEST_LINE)}"
                                 for v in f[key])
    if not any_python:
        lines.append("    (no Python frames)")
    return "\n".join(lines) + "\n"


def render_process_header(doc: dict, verbose: bool = False) -> str:
    p = doc["processes"][0]
    head = f"Process {p['pid']}"
    if p["name"]:
        head += f" [{p['name']}]"
    if p["command_line"]:
        head += f": {p['command_line']}"
    py = p["python"]
    second = f"Python {py['version']} ({py['library']}{', static' if py['static'] else ''}), live process"
    return head + "\n" + second + "\n"


def render_text(doc: dict, locals_: bool) -> str:
    """The whole text report with --no-analysis, from the JSON report of the same state."""
    out = render_process_header(doc) + "\n"
    for t in doc["processes"][0]["threads"]:
        out += render_thread_text(t, locals_) + "\n"
    return out


def assert_text_report(text: str, doc: dict, locals_: bool) -> None:
    """The text report (--no-analysis) is exactly the header and thread blocks rebuilt from the
    JSON report, apart from the asyncio paragraphs ("Asyncio event loop ...", printed after the
    thread that runs the loop: tasks are not under test here), which are removed first."""
    expected = render_text(doc, locals_)
    p = doc["processes"][0]
    if p.get("tasks") or p.get("event_loops"):
        paragraphs = text.split("\n\n")
        kept = [x for x in paragraphs if not x.startswith("Asyncio event loop ")]
        assert len(kept) < len(paragraphs), "an asyncio program without an asyncio paragraph"
        text = "\n\n".join(kept)
    assert text == expected
