"""`cmake --install` of the build pyhang comes from, into a DESTDIR: every file lands where
Debian's tools look for it, and the installed binary, man page and completions work. (The .deb
and the portable binary are checked in clean Debian roots by scripts/check-packages.sh.)"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import INTERPRETERS, REPO_ROOT, hung_program, run_pyhang

ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None

FILES = [
    "usr/bin/pyhang",
    "usr/share/man/man1/pyhang.1",
    "usr/share/bash-completion/completions/pyhang",
    "usr/share/zsh/vendor-completions/_pyhang",
    "usr/share/fish/vendor_completions.d/pyhang.fish",
    "usr/share/doc/pyhang/README.md",
    "usr/share/doc/pyhang/json-schema.md",
    "usr/share/doc/pyhang/pyhang.schema.json",
    "usr/share/pyhang/python/pyhang_pytest.py",
]


@pytest.fixture(scope="module")
def installed(pyhang, tmp_path_factory) -> Path:
    build = Path(pyhang).resolve().parent
    if not (build / "CMakeCache.txt").is_file():
        pytest.skip(f"{pyhang} is not in a CMake build directory")
    root = tmp_path_factory.mktemp("destdir")
    r = subprocess.run(["cmake", "--install", str(build), "--prefix", "/usr"], capture_output=True, text=True,
                       env={**os.environ, "DESTDIR": str(root)}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return root


def test_install_puts_every_file_in_place(installed):
    found = sorted(str(p.relative_to(installed)) for p in installed.rglob("*") if p.is_file())
    assert found == sorted(FILES)
    assert os.access(installed / "usr/bin/pyhang", os.X_OK)
    assert (installed / "usr/share/doc/pyhang/pyhang.schema.json").read_bytes() == \
        (REPO_ROOT / "docs" / "pyhang.schema.json").read_bytes()


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
def test_installed_binary_diagnoses(installed):
    binary = installed / "usr/bin/pyhang"
    assert run_pyhang(binary, "--version").stdout.startswith("pyhang ")
    with hung_program(ONE_PYTHON, "threads_lock_order.py") as prog:
        r = run_pyhang(binary, "remote", prog.pid, "--json")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["diagnosis"]["findings"][0]["kind"] == "lock-order-cycle"


def test_installed_man_page_and_completions_load(installed):
    share = installed / "usr/share"
    r = subprocess.run(["man", "-l", str(share / "man/man1/pyhang.1")], capture_output=True, text=True,
                       env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "100"}, timeout=60)
    assert r.returncode == 0 and "pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]" in r.stdout, r.stderr
    r = subprocess.run(["bash", "--norc", "-c",
                        f"source '{share}/bash-completion/completions/pyhang'; complete -p pyhang"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout == "complete -F _pyhang pyhang\n", r.stderr
    r = subprocess.run(["zsh", "-f", "-c", f"fpath=('{share}/zsh/vendor-completions' $fpath); autoload -U compinit; "
                        "compinit -u -D; print -r -- $_comps[pyhang]"], capture_output=True, text=True, timeout=60)
    assert r.stdout == "_pyhang\n", r.stderr
    r = subprocess.run(["fish", "--no-config", "-c",
                        f"source '{share}/fish/vendor_completions.d/pyhang.fish'; complete -C 'pyhang co'"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.startswith("core\t"), r.stderr


def test_installed_pytest_plugin_loads(installed):
    """`PYTHONPATH=<prefix>/share/pyhang/python pytest -p pyhang_pytest` (the README's words)."""
    r = subprocess.run(["/usr/bin/python3", "-c", "import pytest"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("/usr/bin/python3 has no pytest")
    env = {**os.environ, "PYTHONPATH": str(installed / "usr/share/pyhang/python")}
    env.pop("PYTEST_ADDOPTS", None)
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider", "-p", "pyhang_pytest", "--help"],
                       capture_output=True, text=True, env=env, cwd=installed, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "--pyhang-after=SECONDS" in r.stdout and "--pyhang-fail" in r.stdout
