"""The command line: usage errors word for word, "did you mean", options in any order, the help's
usage lines and examples, colour (--color, NO_COLOR, a terminal or not) and the shortening of
very long text in the text report."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess

import pytest

from conftest import INTERPRETERS, hung_program, run_pyhang

ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None
LOCK_ORDER = "threads_lock_order.py"
ESC = "\x1b"

USAGE = ("Usage: pyhang remote PID [PID...] [OPTIONS]\n"
         "       pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]\n"
         "       pyhang run [OPTIONS] -- COMMAND [ARGS...]\n"
         "       pyhang watch PID [OPTIONS]\n")
NEED_HINT = ("hint: pyhang remote PID reads a running process, pyhang core CORE a core dump, pyhang run -- "
             "COMMAND runs one and watches it; pyhang --help says more\n")
NEED_SUBCOMMAND = ("pyhang: a subcommand is needed: remote (a running process), core (a core dump), run (a command "
                   "to watch) or watch (a running process to watch)\n")


@pytest.mark.parametrize("args, stderr", [
    ([], NEED_SUBCOMMAND + USAGE + NEED_HINT),
    (["--json"], NEED_SUBCOMMAND + NEED_HINT),
    (["remot", "1"], "pyhang: unknown subcommand 'remot'\nhint: did you mean 'pyhang remote'?\n"),
    (["cor", "x"], "pyhang: unknown subcommand 'cor'\nhint: did you mean 'pyhang core'?\n"),
    (["frobnicate"], "pyhang: unknown subcommand 'frobnicate'\n" + NEED_HINT),
    (["remote", "--jsn", "1"], "pyhang: unknown option '--jsn' for 'pyhang remote'\nhint: did you mean '--json'?\n"),
    (["remote", "1", "--chidlren"],
     "pyhang: unknown option '--chidlren' for 'pyhang remote'\nhint: did you mean '--children'?\n"),
    (["--lcals", "remote", "1"], "pyhang: unknown option '--lcals'\nhint: did you mean '--locals'?\n"),
    (["remote", "1", "--lib-search-root", "/"],
     "pyhang: unknown option '--lib-search-root' for 'pyhang remote'\n"
     "hint: --lib-search-root is an option of 'pyhang core' only\n"),
    (["remote", "-x", "1"], "pyhang: unknown option '-x' for 'pyhang remote'\nhint: pyhang remote --help lists its options\n"),
    (["remote"], "pyhang: 'pyhang remote' needs the id of the process to inspect\n"
                 "hint: pyhang remote PID (find it with: ps -ef | grep python)\n"),
    (["core"], "pyhang: 'pyhang core' needs a core file\nhint: pyhang core CORE [EXECUTABLE]; take one with: gcore PID\n"),
    (["remote", "abc"], "pyhang: a process id is a number, not 'abc'\n"
                        "hint: pyhang remote --help lists its arguments and options\n"),
    (["remote", "1", "--color=blue"], "pyhang: --color takes auto, always or never, not 'blue'\n"
                                      "hint: pyhang remote --help lists its arguments and options\n"),
    (["core", "x", "--executable"], "pyhang: --executable needs a value\n"
                                    "hint: pyhang core --help lists its arguments and options\n"),
    (["remote", "1", "--native", "--native-all"], "pyhang: --native excludes --native-all\n"
                                                  "hint: give one of --native, --native-all and --native-last\n"),
    (["run"], "pyhang: 'pyhang run' needs a command to run\nhint: pyhang run [OPTIONS] -- COMMAND [ARGS...]\n"),
    (["run", "--"], "pyhang: 'pyhang run' needs a command to run\nhint: pyhang run [OPTIONS] -- COMMAND [ARGS...]\n"),
    (["watch"], "pyhang: 'pyhang watch' needs the id of the process to watch\n"
                "hint: pyhang watch PID (find it with: ps -ef | grep python)\n"),
    (["run", "--on-hang", "explode", "--", "true"], "pyhang: --on-hang takes wait, kill or leave, not 'explode'\n"
                                                    "hint: pyhang run --help lists its arguments and options\n"),
    (["run", "--idle=5x", "true"], "pyhang: --idle takes a duration such as 30s, 500ms, 5m or 1h, not '5x'\n"
                                   "hint: pyhang run --help lists its arguments and options\n"),
    (["watch", "1", "--interval", "0"], "pyhang: --interval takes seconds from 0.01 to 3600, not '0'\n"
                                        "hint: pyhang watch --help lists its arguments and options\n"),
    (["watch", "1", "--timeout", "5"], "pyhang: unknown option '--timeout' for 'pyhang watch'\n"
                                       "hint: --timeout is an option of 'pyhang run' only\n"),
    (["core", "x", "--children"], "pyhang: unknown option '--children' for 'pyhang core'\n"
                                  "hint: a core holds one process: name the children's cores too "
                                  "(pyhang core CORE CORE...)\n"),
], ids=["nothing", "only-an-option", "remot", "cor", "unknown-subcommand", "jsn", "chidlren", "lcals-before",
        "core-option-on-remote", "short", "no-pid", "no-core", "pid-abc", "color-blue", "executable-no-value",
        "native-modes", "run-no-command", "run-dashes-only", "watch-no-pid", "on-hang-explode", "idle-5x",
        "interval-0", "timeout-on-watch", "children-on-core"])
def test_usage_error_exact(pyhang, args, stderr):
    r = run_pyhang(pyhang, *args)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", stderr)


@pytest.mark.parametrize("sub, usage", [
    ([], USAGE),
    (["remote"], "Usage: pyhang remote PID [PID...] [OPTIONS]\n"),
    (["core"], "Usage: pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]\n"),
    (["run"], "Usage: pyhang run [OPTIONS] -- COMMAND [ARGS...]\n"),
    (["watch"], "Usage: pyhang watch PID [OPTIONS]\n"),
])
def test_help_usage_and_examples(pyhang, sub, usage):
    r = run_pyhang(pyhang, *sub, "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert usage in r.stdout
    # The help ends with the examples, after the exit statuses.
    tail = r.stdout.rstrip("\n").split("\n")[-11:]
    assert tail == ["Examples:",
                    "  sudo pyhang remote 4242",
                    "      why is process 4242 stuck?",
                    "  sudo pyhang remote --children --native 4242",
                    "      the same, with its child processes and the C stacks",
                    "  pyhang core core.4242 /usr/bin/python3 --json",
                    "      read a core dump, and print the report as JSON",
                    "  pyhang run --idle 5m --on-hang kill -- python3 -m pytest",
                    "      run the tests; if they deadlock or sit idle for 5 minutes, write the report and kill them",
                    "  sudo pyhang watch --children --once 4242",
                    "      wait until process 4242 (or a child) gets stuck, then report"], r.stdout
    assert r.stdout.index("Exit status:") < r.stdout.index("Examples:")


def test_help_after_subcommand_options(pyhang):
    r = run_pyhang(pyhang, "--json", "core", "--help")
    assert r.returncode == 0 and "Usage: pyhang core CORE" in r.stdout


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
def test_options_in_any_order(pyhang):
    with hung_program(ONE_PYTHON, LOCK_ORDER) as prog:
        orders = [
            ["remote", prog.pid, "--json", "--no-analysis"],
            ["remote", "--json", "--no-analysis", prog.pid],
            ["--json", "remote", "--no-analysis", prog.pid],
            ["--no-analysis", "--json", "remote", prog.pid],
            ["remote", "--color", "never", "--json", prog.pid, "--no-analysis"],
        ]
        docs = []
        for args in orders:
            r = run_pyhang(pyhang, *args)
            assert r.returncode == 0, (args, r.stderr)
            docs.append(json.loads(r.stdout))
    for doc in docs:
        assert doc["diagnosis"] is None
        assert [p["pid"] for p in doc["processes"]] == [prog.pid]


# --------------------------------------------------------------------------------------------
# Colour


def run_on_terminal(pyhang, *args, env=None):
    """pyhang with stdout on a pseudo-terminal (stderr a pipe); returns (exit code, output)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(pyhang), *map(str, args)], stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=120)
        proc.stderr.close()
    finally:
        os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def lock_order(pyhang):
    if ONE_PYTHON is None:
        pytest.skip("no interpreter")
    with hung_program(ONE_PYTHON, LOCK_ORDER) as prog:
        yield prog


def test_color_on_a_terminal(pyhang, lock_order):
    code, out = run_on_terminal(pyhang, "remote", lock_order.pid, env={"NO_COLOR": "", "TERM": "xterm"})
    assert code == 1
    lines = out.split("\n")
    headers = [l for l in lines if "Traceback for thread" in l]
    assert len(headers) == 3 and all(l.startswith("\x1b[1mTraceback") and l.endswith("\x1b[0m") for l in headers)
    waits = [l for l in lines if ">>>" in l]
    assert waits and all(l.lstrip(" ").startswith("\x1b[33m>>> ") and l.endswith("\x1b[0m") for l in waits), waits
    found = lines.index(next(l for l in lines if "Found a deadlock" in l))
    assert lines[found].startswith("\x1b[1;31mFound a deadlock (lock-order cycle)")
    assert lines[found + 1].startswith("\x1b[31m  Thread ")
    verdict = [l for l in lines if "Verdict:" in l]
    assert verdict == [l for l in verdict if l.startswith("\x1b[1;37;41mVerdict: DEADLOCK") and l.endswith("\x1b[0m")]
    assert len(verdict) == 1
    # The same text as without colour, once the sequences are taken out.
    plain = run_pyhang(pyhang, "remote", lock_order.pid, "--color=never").stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain


@pytest.mark.parametrize("args, env", [
    (["--color=never"], {}),
    ([], {"NO_COLOR": "1"}),
    ([], {"TERM": "dumb"}),
    (["--json"], {}),
    (["--json", "--color=always"], {}),
], ids=["never", "NO_COLOR", "dumb-terminal", "json", "json-always"])
def test_no_color_on_a_terminal(pyhang, lock_order, args, env):
    code, out = run_on_terminal(pyhang, "remote", lock_order.pid, *args, env={"TERM": "xterm", **env})
    assert code == 1 and "Traceback for thread" in out or '"processes"' in out
    assert ESC not in out


def test_color_in_a_pipe(pyhang, lock_order):
    assert ESC not in run_pyhang(pyhang, "remote", lock_order.pid, env={"NO_COLOR": None}).stdout
    forced = run_pyhang(pyhang, "remote", lock_order.pid, "--color=always", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[1mTraceback for thread" in forced and "\x1b[1;37;41mVerdict: DEADLOCK" in forced


# --------------------------------------------------------------------------------------------
# Shortening


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
def test_long_text_is_shortened_in_text_only(pyhang):
    with hung_program(ONE_PYTHON, "long_text.py") as prog:
        text = run_pyhang(pyhang, "remote", prog.pid, "--locals").stdout
        doc = json.loads(run_pyhang(pyhang, "remote", prog.pid, "--locals", "--json").stdout)
    worker = next(t for t in doc["processes"][0]["threads"] if t["name"].startswith("worker-"))
    frame = next(f for f in worker["frames"] if f.get("function") == "wait_forever")
    source = frame["source"]
    assert len(source) > 300 and "long, " in source
    assert len(worker["name"]) > 120
    # Text: the first bytes, then how many more there were.
    assert f"        {source[:300]}[... {len(source) - 300} more characters]\n" in text
    assert f"({worker['name'][:120]}[... {len(worker['name']) - 120} more characters])" in text
    assert all(len(line) < 600 for line in text.split("\n")), max(map(len, text.split("\n")))
