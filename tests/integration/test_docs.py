"""The man page and the shell completions the build generates (next to the binary: pyhang.1,
completions/pyhang for bash, completions/_pyhang for zsh, completions/pyhang.fish): they load,
they complete subcommands, options, option values and the PIDs of Python processes, and they
list exactly the options `--help` lists.

PYHANG_DOCS_DIR overrides where they are looked for (an installed tree: tests/integration/
test_install.py points it at share/)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_pyhang

SUBCOMMANDS = ["remote", "core", "run", "watch"]


def doc_file(pyhang, name: str) -> Path:
    base = Path(os.environ.get("PYHANG_DOCS_DIR") or Path(pyhang).parent)
    # A build directory, or an installed share/ directory.
    candidates = [base / "completions" / name, base / "man" / "man1" / name,
                  base / "bash-completion" / "completions" / name, base / "zsh" / "vendor-completions" / name,
                  base / "fish" / "vendor_completions.d" / name, base / name]
    candidates = [c for c in candidates if c != Path(pyhang)]
    found = [c for c in candidates if c.is_file()]
    assert found, f"{name} not found under {base}"
    return found[0]


def help_options(pyhang, sub: str) -> set:
    text = run_pyhang(pyhang, sub, "--help").stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text.split("Exit status:")[0]))


@pytest.fixture(scope="module")
def sleepers():
    """A Python process and a process that is not Python, both asleep; yields their pids."""
    py = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    other = subprocess.Popen(["sleep", "600"])
    try:
        yield py.pid, other.pid
    finally:
        for p in (py, other):
            p.kill()
            p.wait()


# --------------------------------------------------------------------------------------------
# The man page


def test_man_page_renders_cleanly(pyhang):
    page = doc_file(pyhang, "pyhang.1")
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = subprocess.run(["groff", "-man", "-Tascii", "-P", "-cbou", str(page)], capture_output=True,
                          text=True, check=True).stdout
    assert "pyhang remote PID [PID...] [OPTIONS]" in text
    assert "pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]" in text
    assert "pyhang run [OPTIONS] -- COMMAND [ARGS...]" in text
    assert "pyhang watch PID [OPTIONS]" in text
    assert "sudo pyhang remote --children --native 4242" in text
    assert "EXIT STATUS" in text and "could not write the report" in text


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_man_page_has_every_option_of_help(pyhang, sub):
    roff = doc_file(pyhang, "pyhang.1").read_text()
    section = roff.split(f'.SS "pyhang {sub} ')[1].split(".SS")[0].split(".SH")[0]
    in_man = set(o.replace("\\-", "-") for o in re.findall(r"\\fB(\\-\\-[a-z\\-]+)\\fR", section))
    assert in_man == help_options(pyhang, sub)


# --------------------------------------------------------------------------------------------
# bash


def bash_complete(pyhang, *words: str) -> list:
    script = doc_file(pyhang, "pyhang")
    words_array = " ".join("'" + w + "'" for w in words)
    cmd = (f"source '{script}'; COMP_WORDS=({words_array}); COMP_CWORD={len(words) - 1}; COMPREPLY=(); "
           "_pyhang; printf '%s\\n' \"${COMPREPLY[@]}\"")
    r = subprocess.run(["bash", "--norc", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return [w for w in r.stdout.split("\n") if w]


def test_bash_completion_loads(pyhang):
    script = doc_file(pyhang, "pyhang")
    r = subprocess.run(["bash", "--norc", "-c", f"source '{script}'; complete -p pyhang"], capture_output=True,
                       text=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, "complete -F _pyhang pyhang\n", "")


def test_bash_completes_subcommands_and_options(pyhang, tmp_path):
    assert bash_complete(pyhang, "pyhang", "") == ["remote", "core", "run", "watch", "--help", "--version"]
    assert bash_complete(pyhang, "pyhang", "co") == ["core"]
    assert bash_complete(pyhang, "pyhang", "remote", "--no-") == ["--no-block", "--no-analysis"]
    assert bash_complete(pyhang, "pyhang", "remote", "--color", "") == ["auto", "always", "never"]
    assert bash_complete(pyhang, "pyhang", "core", "--color", "=", "n") == ["never"]
    assert bash_complete(pyhang, "pyhang", "core", "--lib-search-r") == ["--lib-search-root="]
    assert bash_complete(pyhang, "pyhang", "run", "--on-hang", "") == ["wait", "kill", "leave"]
    (tmp_path / "core.123").write_bytes(b"")
    assert bash_complete(pyhang, "pyhang", "core", str(tmp_path / "core.")) == [str(tmp_path / "core.123")]
    for sub in SUBCOMMANDS:
        offered = {w.rstrip("=") for w in bash_complete(pyhang, "pyhang", sub, "--")}
        assert offered == help_options(pyhang, sub)


def test_bash_completes_python_pids(pyhang, sleepers):
    py, other = sleepers
    pids = bash_complete(pyhang, "pyhang", "remote", "")
    assert str(py) in pids and str(other) not in pids
    assert all(p.isdigit() for p in pids)
    assert str(py) in bash_complete(pyhang, "pyhang", "watch", "")


# --------------------------------------------------------------------------------------------
# zsh and fish


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed (scripts/install-deps.sh installs it)")
def test_zsh_completion_loads_and_lists_python_pids(pyhang, sleepers):
    py, other = sleepers
    directory = doc_file(pyhang, "_pyhang").parent
    # compinit finds it on fpath; the pid lister runs with _describe replaced by a printer.
    cmd = (f"fpath=('{directory}' $fpath); autoload -U compinit; compinit -u -D; print -r -- $_comps[pyhang]; "
           "_describe() { print -rl -- ${(P)${@[-1]}} }; _arguments() { : }; "
           f"source '{directory}/_pyhang'; _pyhang_python_pids")
    r = subprocess.run(["zsh", "-f", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "_pyhang"
    pids = [line.split(":")[0] for line in lines[1:] if line]
    assert str(py) in pids and str(other) not in pids


@pytest.mark.skipif(not shutil.which("fish"), reason="fish is not installed (scripts/install-deps.sh installs it)")
def test_fish_completion(pyhang, sleepers):
    py, other = sleepers
    script = doc_file(pyhang, "pyhang.fish")

    def complete(line: str) -> list:
        r = subprocess.run(["fish", "--no-config", "-c", f"source '{script}'; complete -C '{line}'"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        return [w.split("\t")[0] for w in r.stdout.split("\n") if w]

    assert sorted(complete("pyhang ")) == ["core", "remote", "run", "watch"]
    assert complete("pyhang remote --color=") == ["--color=always", "--color=auto", "--color=never"]
    for sub in SUBCOMMANDS:
        assert {w for w in complete(f"pyhang {sub} --") if w.startswith("--")} == help_options(pyhang, sub)
    pids = complete("pyhang remote ")
    assert str(py) in pids and str(other) not in pids
