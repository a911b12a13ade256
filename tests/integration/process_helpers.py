"""Helpers shared by the tests of hangs across processes (test_multiprocess*.py, test_pipes.py):
start a program, read it with `--children` as JSON and as text, pick findings and lines."""
from __future__ import annotations

from pathlib import Path

from conftest import hung_program, pyhang_json, run_pyhang


def lines_of(path: Path, text: str) -> list:
    """The numbers of the lines of `path` that contain `text` (at least one)."""
    found = [n for n, s in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in s]
    assert found, f"{text!r} not in {path}"
    return found


def line_of(path: Path, text: str) -> int:
    return lines_of(path, text)[0]


def marker_line(path: Path, marker: str) -> int:
    """The line carrying the comment `# LINE:<marker>` (exactly one)."""
    found = lines_of(path, f"# LINE:{marker}")
    assert len(found) == 1, f"LINE:{marker} in {path}"
    return found[0]


def read_hang(pyhang, python, script: Path, *args, children: bool = True, pyhang_args=()):
    """Start `script args...`, read it once as JSON and once as text. Returns (READY pid, JSON
    document, pyhang's exit status for the JSON run, CompletedProcess of the text run)."""
    extra = (("--children",) if children else ()) + tuple(pyhang_args)
    with hung_program(python, script, *args) as prog:
        doc, proc = pyhang_json(pyhang, "remote", str(prog.pid), *extra, with_proc=True)
        text = run_pyhang(pyhang, "remote", str(prog.pid), *extra)
        return prog.pid, doc, proc.returncode, text


def only_finding(doc, kind):
    findings = doc["diagnosis"]["findings"]
    assert [f["kind"] for f in findings] == [kind], doc["diagnosis"]
    return findings[0]


def parent_and_child(finding, pid):
    """The two participants of a finding between the READY process `pid` and one other process:
    (the one in `pid`, the other), asserting there are exactly those two."""
    parts = {p["pid"] == pid: p for p in finding["participants"]}
    assert set(parts) == {True, False} and len(finding["participants"]) == 2, finding["participants"]
    return parts[True], parts[False]
