"""The text report is safe to print on a terminal, whatever the target's strings hold.

tests/programs/hostile_strings.py puts every C0 and C1 control character and DEL, a window-title
escape sequence and newlines that forge a "Verdict:" line into thread names (Python's and the
kernel's), a file name and its source line, a function name and a code object's file name, a
class name, a string local, an asyncio task name and its own command line. pyhang must show each
of them escaped (`\\x1b`, `\\n`, `\\x9b`): one report line stays one line, no raw control
character reaches the terminal, and the forged lines never appear as lines. The JSON report keeps
the strings exact (JSON escapes them itself).
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import INTERPRETERS, hung_program, take_gcore

HOSTILE = "hostile_strings.py"
EVERY = "".join(map(chr, range(1, 32))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
TITLE = "\x1b]0;pwned\x07\x1b[2J"
FORGED = "x\nVerdict: DEADLOCK (forged): nothing\n"
FILE_NAME = "evil" + TITLE + "\nVerdict: forged\u009b.py"
LINE_CONTROLS = "".join(c for c in EVERY if c not in "\n\r")
COMMAND_ARG = "\x1b]0;cmd\x07\nVerdict: forged-cmd\u009b[2J"

ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None


def esc(text: str) -> str:
    """What pyhang prints for ``text``: C0, DEL and C1 as \\xNN (\\n, \\r, \\t for those three)."""
    out = []
    for c in text:
        o = ord(c)
        if c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        else:
            out.append(c)
    return "".join(out)


def run_bytes(pyhang, *args) -> subprocess.CompletedProcess:
    return subprocess.run([pyhang, *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def assert_terminal_safe(data: bytes) -> str:
    """``data`` is valid UTF-8 with no control character but the newlines between lines, and no
    forged line; returns it decoded."""
    text = data.decode("utf-8")  # strict: a stray byte (a raw 0x9b is CSI on some terminals) fails
    raw = sorted({f"U+{ord(c):04X}" for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F})
    assert raw == [], f"raw control characters in the output: {raw}"
    lines = text.split("\n")
    assert not [l for l in lines if "forged" in l and l.startswith("Verdict:")]
    assert not [l for l in lines if l.startswith("[2J") or l.startswith("Verdict: forged")]
    return text


@pytest.fixture
def hostile(python, tmp_path):
    with hung_program(python, HOSTILE, tmp_path, COMMAND_ARG) as prog:
        prog.dir = tmp_path
        yield prog


def test_text_report_is_escaped(hostile, pyhang, python):
    r = run_bytes(pyhang, "remote", hostile.pid, "--locals")
    assert r.returncode == 1, r.stderr
    text = assert_terminal_safe(r.stdout)
    assert_terminal_safe(r.stderr)
    lines = text.split("\n")
    verdicts = [l for l in lines if l.startswith("Verdict:")]
    assert len(verdicts) == 1 and verdicts[0] == [l for l in lines if l][-1]
    assert verdicts[0].startswith("Verdict: DEADLOCK (all-blocked): ")
    # The command line, on the report's first line.
    assert lines[0].startswith(f"Process {hostile.pid}: ") and lines[0].endswith(esc(COMMAND_ARG)), lines[0]
    # Thread names, in the headers.
    # (without the analysis's state word, "[waiting]", which follows the name)
    headers = [re.sub(r" \[[a-z ]+\] \(most", " (most", l) for l in lines if l.startswith("Traceback for thread ")]
    for name in (TITLE, FORGED, EVERY):
        assert len([h for h in headers if h.endswith(f" ({esc(name)}) (most recent call last):")]) == 1, (name, headers)
    # The module with a hostile file name and source line.
    path = os.path.join(str(hostile.dir), FILE_NAME)
    i = lines.index(f'    (Python) File "{esc(path)}", line 4, in wait_in_evil')
    assert lines[i + 1] == "        HELD.acquire()  # " + esc(LINE_CONTROLS) + " " + esc(TITLE) + " LINE:evil"
    # The function and code file names made of every control character, and its locals.
    i = lines.index(f'    (Python) File "<every{esc(EVERY)}>", line 5, in f{esc(EVERY)}')
    frame = lines[i:lines.index("", i)]
    assert f"        every: '{esc(EVERY)}'" in frame
    assert [l for l in frame if l.startswith(f"        obj: <Evil{esc(TITLE)}\\n at 0x")]
    # The asyncio task name.
    assert [l for l in lines if l.endswith(f"(T) {esc(FORGED + EVERY)} (hostile_task) [pending]")]


def test_native_report_is_escaped(hostile, pyhang):
    r = run_bytes(pyhang, "remote", hostile.pid, "--native")
    assert r.returncode == 1, r.stderr
    text = assert_terminal_safe(r.stdout)
    assert f" ({esc(TITLE)}) " in text


def test_json_keeps_the_exact_strings(hostile, pyhang):
    r = run_bytes(pyhang, "remote", hostile.pid, "--json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    names = {t["name"] for t in doc["processes"][0]["threads"]}
    assert {TITLE, FORGED, EVERY} <= names
    assert doc["processes"][0]["command_line"].endswith(COMMAND_ARG)


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter selected")
def test_core_with_hostile_path(pyhang, tmp_path):
    """A core whose own file name holds control characters: every message quoting it is escaped."""
    with hung_program(ONE_PYTHON, HOSTILE, tmp_path, COMMAND_ARG) as prog:
        prefix = tmp_path / ("core" + TITLE + "\n")
        g = take_gcore(prog.pid, prefix)
        core = tmp_path / f"{prefix.name}.{prog.pid}"
        assert g.returncode == 0 and core.is_file(), g.stderr
    r = run_bytes(pyhang, "core", core)
    assert r.returncode == 1, r.stderr
    assert_terminal_safe(r.stdout)
    assert_terminal_safe(r.stderr)
    # Cut short: the warning about the truncated core quotes the path, escaped.
    with open(core, "r+b") as f:
        f.truncate(os.path.getsize(core) // 2)
    r = run_bytes(pyhang, "core", core)
    assert_terminal_safe(r.stdout)
    err = assert_terminal_safe(r.stderr)
    assert esc(str(core)) in r.stdout.decode() + err


def test_error_message_is_escaped(pyhang):
    path = "/nonexistent/" + FILE_NAME
    r = run_bytes(pyhang, "core", path)
    assert r.returncode == 8
    assert r.stdout == b""
    err = assert_terminal_safe(r.stderr)
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("pyhang: ") and lines[1].startswith("hint: "), err
    assert esc(path) in lines[0]
