"""pytest harness for pyhang's integration tests.

Run with Debian's python3 (it has python3-pytest and python3-pytest-timeout):

    /usr/bin/python3 -m pytest -q tests/integration

What it provides (tests import the helpers with ``from conftest import ...``):

* Interpreter discovery: ``INTERPRETERS`` (list of ``Interp``) covering the twelve interpreters
  pyhang supports, and the ``python`` fixture parametrised over them. A missing or broken
  interpreter makes the whole session fail (usage error), unless PYHANG_ALLOW_MISSING_PYTHONS=1.
  PYHANG_PYTHONS_ONLY="3.12.1,3.14.10" restricts the run to those ids.
* ``pyhang`` fixture: path of the binary (env PYHANG_BIN, else <repo>/build/pyhang).
* ``hung_program(python, script, *args)``: start a target program in its own process group, wait
  for ``READY <pid>`` and for all its threads to sleep, yield, then kill the group.
* ``run_pyhang`` / ``pyhang_json``: run the binary (text / parsed --json output).
* ``thread_states(pid)``, ``is_running(pid)``, ``group_members(pgid)``, ``wait_until(...)``.

Environment:
  PYHANG_BIN                    pyhang binary (default <repo>/build/pyhang)
  PYHANG_PYTHONS                where scripts/get-pythons.sh put the Debian 3.13/3.14/3.15 builds
                                (default ~/.cache/pyhang-pythons, then /root/.cache/pyhang-pythons)
  PYENV_ROOT                    pyenv root (default: `pyenv root`, ~/.pyenv, /root/.pyenv)
  PYHANG_PYTHONS_ONLY           comma-separated interpreter ids to run against
  PYHANG_ALLOW_MISSING_PYTHONS  1: run with whatever interpreters exist instead of failing
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import pytest

from schema_helpers import schema_problems

# --------------------------------------------------------------------------------------------
# Paths

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = REPO_ROOT / "tests" / "scenarios"  # the 10 seed scenarios (READY protocol)
PROGRAMS_DIR = REPO_ROOT / "tests" / "programs"  # the tests' own hang programs
DEFAULT_PYHANG = REPO_ROOT / "build" / "pyhang"

READY_TIMEOUT = 30.0  # seconds for a target to print READY and fall asleep
PYHANG_TIMEOUT = 60.0  # seconds for one pyhang run

# --------------------------------------------------------------------------------------------
# Interpreters


class Interp(NamedTuple):
    """One interpreter under test. ``version`` is sys.version_info[:3] as reported by running it."""

    id: str  # "3.6.15" ... "3.13.0", "deb-3.11", "3.13.5", "3.14.10", "3.15.x"
    path: str  # absolute path of the executable
    version: Tuple[int, int, int]
    kind: str = "pyenv"  # "pyenv" | "debian-system" (static, stripped) | "debian-deb" (patched .deb)

    @property
    def version_tuple(self) -> Tuple[int, int, int]:
        return self.version

    def __str__(self) -> str:
        return f"{self.id} ({self.path})"


def _pyenv_root() -> Path:
    env = os.environ.get("PYENV_ROOT")
    if env:
        return Path(env)
    exe = shutil.which("pyenv")
    if exe:
        try:
            out = subprocess.run([exe, "root"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    for candidate in (Path.home() / ".pyenv", Path("/root/.pyenv")):
        if candidate.is_dir():
            return candidate
    return Path.home() / ".pyenv"


def _pythons_dirs() -> List[Path]:
    env = os.environ.get("PYHANG_PYTHONS")
    if env:
        return [Path(env)]
    dirs = [Path.home() / ".cache" / "pyhang-pythons", Path("/root/.cache/pyhang-pythons")]
    return list(dict.fromkeys(dirs))


class _Spec(NamedTuple):
    id: str
    kind: str
    candidates: List[Path]
    want: Tuple[int, ...]  # the version must start with this


def _required_specs() -> List[_Spec]:
    pyenv = _pyenv_root() / "versions"
    specs = []
    for v in ("3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"):
        want = tuple(int(x) for x in v.split("."))
        specs.append(_Spec(v, "pyenv", [pyenv / v / "bin" / "python3"], want))
    specs.append(_Spec("deb-3.11", "debian-system", [Path("/usr/bin/python3.11")], (3, 11)))
    # The Debian .debs follow trixie / sid: only major.minor is required to match the id.
    dirs = _pythons_dirs()
    specs.append(_Spec("3.13.5", "debian-deb",
                       [d / "trixie313" / "usr" / "bin" / "python3.13" for d in dirs], (3, 13)))
    specs.append(_Spec("3.14.10", "debian-deb",
                       [d / "sid314" / "usr" / "bin" / "python3.14" for d in dirs], (3, 14)))
    specs.append(_Spec("3.15.x", "debian-deb",
                       [d / "sid315" / "usr" / "bin" / "python3.15" for d in dirs], (3, 15)))
    return specs


REQUIRED_IDS = [s.id for s in _required_specs()]

_VERSION_PROBE = "import sys; print('%d %d %d' % tuple(sys.version_info[:3]))"


def _probe(spec: _Spec) -> Tuple[Optional[Interp], str]:
    """Returns (Interp, "") or (None, why it is unusable)."""
    tried = []
    for path in spec.candidates:
        if not (path.is_file() and os.access(path, os.X_OK)):
            tried.append(f"{path}: not found")
            continue
        try:
            out = subprocess.run([str(path), "-I", "-c", _VERSION_PROBE], capture_output=True,
                                 text=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as e:
            tried.append(f"{path}: cannot run: {e}")
            continue
        if out.returncode != 0:
            tried.append(f"{path}: exited {out.returncode}: {out.stderr.strip()[-500:]}")
            continue
        version = tuple(int(x) for x in out.stdout.split())
        if version[: len(spec.want)] != spec.want:
            tried.append(f"{path}: is Python {'.'.join(map(str, version))}, expected "
                         f"{'.'.join(map(str, spec.want))}")
            continue
        return Interp(spec.id, str(path), version, spec.kind), ""  # type: ignore[arg-type]
    return None, "; ".join(tried)


def _discover() -> Tuple[List[Interp], Dict[str, str], List[str]]:
    """Returns (usable selected interpreters, {id: problem} for selected ones, unknown ids)."""
    specs = _required_specs()
    only = [x.strip() for x in os.environ.get("PYHANG_PYTHONS_ONLY", "").split(",") if x.strip()]
    known = {s.id for s in specs}
    unknown = [x for x in only if x not in known]
    if only:
        specs = [s for s in specs if s.id in only]
    found: List[Interp] = []
    problems: Dict[str, str] = {}
    for spec in specs:
        interp, why = _probe(spec)
        if interp:
            found.append(interp)
        else:
            problems[spec.id] = why
    return found, problems, unknown


_ALLOW_MISSING = os.environ.get("PYHANG_ALLOW_MISSING_PYTHONS", "") not in ("", "0")
INTERPRETERS, _MISSING, _UNKNOWN_IDS = _discover()
INTERPRETERS_BY_ID = {i.id: i for i in INTERPRETERS}


@pytest.fixture(params=INTERPRETERS, ids=[i.id for i in INTERPRETERS])
def python(request) -> Interp:
    """Each interpreter under test in turn (an ``Interp``)."""
    return request.param


@pytest.fixture(scope="session")
def interpreters() -> List[Interp]:
    """All selected interpreters at once."""
    return list(INTERPRETERS)


# --------------------------------------------------------------------------------------------
# The pyhang binary


def pyhang_path() -> Path:
    return Path(os.environ.get("PYHANG_BIN") or DEFAULT_PYHANG)


@pytest.fixture(scope="session")
def pyhang() -> str:
    """Absolute path of the pyhang binary; the test fails clearly if there is none."""
    path = pyhang_path()
    if not path.is_file() or not os.access(path, os.X_OK):
        how = "PYHANG_BIN" if os.environ.get("PYHANG_BIN") else "the default <repo>/build/pyhang"
        pytest.fail(f"pyhang binary not found or not executable: {path} (from {how}); build it "
                    f"with `cmake -B build && cmake --build build -j2` or set PYHANG_BIN",
                    pytrace=False)
    return str(path.resolve())


# The target programs' TMPDIR: they are killed with SIGKILL, so the spools, lock files and logs
# they make in it are never cleaned up by them; the session removes the whole directory.
_TARGETS_TMP: Optional[str] = None


def _targets_tmp() -> str:
    global _TARGETS_TMP
    if _TARGETS_TMP is None:
        _TARGETS_TMP = tempfile.mkdtemp(prefix="pyhang-targets-")
    return _TARGETS_TMP


def _merged_env(env: Optional[Dict[str, Optional[str]]], *, for_python: bool = False) -> Dict[str, str]:
    """os.environ plus ``env`` (a value of None removes the variable). For a target Python
    (``for_python``), TMPDIR is a directory of the session's own, removed when it ends."""
    merged = dict(os.environ)
    if for_python:
        # Settings meant for the Python running pytest must not leak into the targets.
        for var in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE"):
            merged.pop(var, None)
        merged["TMPDIR"] = _targets_tmp()
    for key, value in (env or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def _text(data: Union[bytes, str, None]) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def run_pyhang(pyhang: Union[str, Path], *args, timeout: float = PYHANG_TIMEOUT,
               env: Optional[Dict[str, Optional[str]]] = None,
               cwd: Union[str, Path, None] = None) -> subprocess.CompletedProcess:
    """Run pyhang with ``args`` (converted with str()); returns the CompletedProcess with text
    stdout/stderr (UTF-8, undecodable bytes replaced). Fails the test if it runs past ``timeout``
    (pyhang is then killed)."""
    cmd = [str(pyhang), *(str(a) for a in args)]
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                              timeout=timeout, env=_merged_env(env), cwd=str(cwd) if cwd else None)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"pyhang did not finish within {timeout}s: {shlex.join(cmd)}\n"
                    f"--- stdout ---\n{_text(e.stdout)}\n--- stderr ---\n{_text(e.stderr)}",
                    pytrace=False)


def pyhang_json(pyhang: Union[str, Path], *args, timeout: float = PYHANG_TIMEOUT,
                env: Optional[Dict[str, Optional[str]]] = None, with_proc: bool = False):
    """Run pyhang with ``args`` plus ``--json`` (appended unless already present) and return the
    parsed JSON document; with ``with_proc=True`` return ``(document, CompletedProcess)``.
    Fails the test, showing the command, exit code, stdout and stderr, if stdout is not JSON or
    does not validate against docs/pyhang.schema.json."""
    args = tuple(str(a) for a in args)
    if "--json" not in args:
        args = args + ("--json",)
    proc = run_pyhang(pyhang, *args, timeout=timeout, env=env)
    try:
        doc = json.loads(proc.stdout)
    except ValueError as e:
        pytest.fail(f"pyhang did not print valid JSON ({e}): {shlex.join(proc.args)}\n"
                    f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout[-5000:]}\n"
                    f"--- stderr ---\n{proc.stderr[-5000:]}", pytrace=False)
    problems = schema_problems(doc)
    if problems:
        pytest.fail(f"pyhang's JSON does not match docs/pyhang.schema.json: {shlex.join(proc.args)}\n"
                    + "\n".join(problems[:20]), pytrace=False)
    return (doc, proc) if with_proc else doc


# --------------------------------------------------------------------------------------------
# /proc helpers


def take_gcore(pid: int, prefix: Union[str, Path], timeout: int = 120) -> subprocess.CompletedProcess:
    """Write a core of live process `pid` to PREFIX.PID with gdb's gcore command, as gcore(1)
    does (its options, with stdin closed), plus `set auto-solib-add off`: the core does not
    depend on gdb's symbols (the same notes and memory, byte for byte but for the CPU times),
    and not reading every library's symbol table makes each core about a third faster, which
    is minutes of the suite's run."""
    return subprocess.run(["timeout", str(timeout), "gdb", "--nx", "--batch", "--readnever",
                           "-iex", "set debuginfod enabled off", "-iex", "set auto-solib-add off",
                           "-ex", "set pagination off", "-ex", "set height 0", "-ex", "set width 0",
                           "-ex", f"attach {pid}", "-ex", f"gcore {prefix}.{pid}", "-ex", "detach", "-ex", "quit"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")


def _read_stat(path: str) -> Optional[List[str]]:
    """Fields of a /proc stat file starting with field 3 (state): [state, ppid, pgrp, ...]."""
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    close = data.rfind(")")  # comm may contain spaces and parentheses
    if close < 0:
        return None
    return data[close + 2:].split()


def process_state(pid: int) -> Optional[str]:
    """State letter of the process (its main thread), or None if it does not exist."""
    fields = _read_stat(f"/proc/{pid}/stat")
    return fields[0] if fields else None


def thread_states(pid: int) -> Dict[int, str]:
    """{tid: state letter} for every thread of ``pid`` ({} if the process is gone)."""
    states = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return {}
    for tid in tids:
        fields = _read_stat(f"/proc/{pid}/task/{tid}/stat")
        if fields:
            states[int(tid)] = fields[0]
    return states

def settle_asleep(pid: int, timeout: float = 2.0) -> None:
    """After a pyhang run: pyhang's stop interrupts the threads' blocking system calls, which the
    kernel restarts when it lets them go; wait until every thread sleeps again (twice in a row)
    so that the next run sees what the program does, not the restart."""
    deadline = time.monotonic() + timeout
    before = False
    while time.monotonic() < deadline:
        states = thread_states(pid)
        now = bool(states) and all(v == "S" for v in states.values())
        if now and before:
            return
        before = now
        time.sleep(0.01)



def is_running(pid: int) -> bool:
    """True if the process exists, is not a zombie (Z/X) and none of its threads is stopped
    (T: job-control stop, t: ptrace stop). For tests that kill pyhang while the target is
    stopped: the target must be left running."""
    state = process_state(pid)
    if state is None or state in "ZX":
        return False
    return not any(s in "Tt" for s in thread_states(pid).values())


def group_members(pgid: int, include_zombies: bool = False) -> List[int]:
    """PIDs of the processes whose process group is ``pgid`` (scans /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _read_stat(f"/proc/{entry}/stat")
        if not fields or len(fields) < 3 or int(fields[2]) != pgid:
            continue
        if not include_zombies and fields[0] in "ZX":
            continue
        members.append(int(entry))
    return sorted(members)


def group_thread_states(pgid: int) -> Dict[int, Dict[int, str]]:
    """{pid: {tid: state}} for every live (non-zombie) process of the group."""
    return {pid: thread_states(pid) for pid in group_members(pgid)}


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02,
               message: str = "condition") -> object:
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}", pytrace=False)
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Target programs

_READY_RE = re.compile(r"^READY (\d+)\s*$")

# Process groups started by hung_program and not yet cleaned up (for the session-end safety net).
_LIVE_GROUPS: Dict[int, subprocess.Popen] = {}


def _set_child_subreaper() -> None:
    """Make this process the reaper of orphaned descendants, so the children of a killed target
    (multiprocessing workers, forkservers) are reaped here rather than left as zombies: on these
    machines PID 1 does not reap."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_process_group(pgid: int, proc: Optional[subprocess.Popen] = None, timeout: float = 10.0) -> None:
    """SIGKILL the whole process group and reap what can be reaped: the leader (``proc``) and,
    thanks to the subreaper setting, orphaned members. Waits (up to ``timeout``) until no
    process of the group is left."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
        while True:  # reap any orphaned group member that was reparented to us
            try:
                pid, _ = os.waitpid(-pgid, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        # Zombies count too: an orphaned grandchild (3.14's forkserver workers) is reparented to
        # us a moment after its parent dies, and only then can it be reaped.
        left = group_members(pgid, include_zombies=True)
        if not left and (proc is None or proc.returncode is not None):
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


class HungProgram:
    """A running target program (yielded by ``hung_program``)."""

    def __init__(self, proc: subprocess.Popen, argv: Sequence[str]):
        self.proc = proc
        self.argv = list(argv)
        self.pgid = proc.pid  # start_new_session: the leader's pid is the group id
        self.pid: Optional[int] = None  # the pid printed on the READY line
        self._chunks: List[str] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._eof = threading.Event()
        self._reader = threading.Thread(target=self._read, name=f"reader-{proc.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for raw in iter(self.proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace")
                with self._lock:
                    self._chunks.append(line)
                m = _READY_RE.match(line)
                if m and not self._ready.is_set():
                    self.pid = int(m.group(1))
                    self._ready.set()
        except (OSError, ValueError):
            pass
        finally:
            self._eof.set()

    @property
    def output_so_far(self) -> str:
        """Everything the program wrote to stdout and stderr (merged) until now."""
        with self._lock:
            return "".join(self._chunks)

    def members(self) -> List[int]:
        """Live PIDs of the program's process group (the READY process and its children)."""
        return group_members(self.pgid)

    def thread_states(self) -> Dict[int, Dict[int, str]]:
        """{pid: {tid: state}} for the whole process group."""
        return group_thread_states(self.pgid)

    def _describe(self) -> str:
        return (f"command: {shlex.join(self.argv)}\nexit code: {self.proc.poll()}\n"
                f"process group states: {self.thread_states()}\n"
                f"--- output ---\n{self.output_so_far[-10000:]}")


def _resolve_script(script_path: Union[str, Path]) -> Path:
    p = Path(script_path)
    if p.is_absolute():
        candidates = [p]
    else:
        candidates = [Path.cwd() / p, SCENARIOS_DIR / p, PROGRAMS_DIR / p]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    pytest.fail(f"target program not found: {script_path} (looked at "
                f"{', '.join(map(str, candidates))})", pytrace=False)


def _all_asleep(states: Dict[int, Dict[int, str]]) -> bool:
    # T: a process the program itself stopped (SIGSTOP) stays so until continued.
    return bool(states) and all(t and all(s in ("S", "T") for s in t.values()) for t in states.values())


@contextlib.contextmanager
def hung_program(python: Union[Interp, str, Path], script_path: Union[str, Path], *args,
                 cwd: Union[str, Path, None] = None, env: Optional[Dict[str, Optional[str]]] = None,
                 timeout: float = READY_TIMEOUT, python_args: Sequence[str] = ()) -> Iterator[HungProgram]:
    """Start ``python [python_args] script_path args...`` in its own process group (session),
    stdout and stderr merged into a pipe that is drained continuously; wait (up to ``timeout``
    seconds in all) for a ``READY <pid>`` line and then until every thread of every process of
    the group is asleep (state S, or T when stopped; checked twice 50 ms apart; zombies are ignored). Yields a
    ``HungProgram`` with ``.pid`` (the READY pid), ``.proc`` (Popen), ``.pgid``,
    ``.output_so_far``. On exit, always, SIGKILLs the whole group and reaps it.

    ``python`` is an Interp or a path. A relative ``script_path`` is looked up in the current
    directory, then tests/scenarios, then tests/programs; with ``cwd`` under which it exists, it
    is passed to Python relative, as given. ``env`` is merged into the environment
    (None values remove variables; PYTHONHOME/PYTHONPATH of pytest's own Python are dropped).
    The test fails with the program's output if it exits early or times out."""
    exe = python.path if isinstance(python, Interp) else str(python)
    # A relative path that exists under `cwd` is passed as given (the program sees it relative).
    if cwd and not Path(script_path).is_absolute() and (Path(cwd) / script_path).is_file():
        script = Path(script_path)
    else:
        script = _resolve_script(script_path)
    argv = [exe, *python_args, str(script), *(str(a) for a in args)]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=str(cwd) if cwd else None,
                            env=_merged_env(env, for_python=True), start_new_session=True)
    _LIVE_GROUPS[proc.pid] = proc
    program = HungProgram(proc, argv)
    try:
        deadline = time.monotonic() + timeout
        while not program._ready.wait(0.02):
            if proc.poll() is not None and not program._ready.wait(0.5):
                pytest.fail(f"target program exited before printing READY\n{program._describe()}",
                            pytrace=False)
            if time.monotonic() >= deadline:
                pytest.fail(f"target program did not print READY within {timeout}s\n"
                            f"{program._describe()}", pytrace=False)
        asleep_before = False
        while True:
            states = program.thread_states()
            asleep = _all_asleep(states) and program.pid in states
            if asleep and asleep_before:
                break
            asleep_before = asleep
            if proc.poll() is not None:
                pytest.fail(f"target program exited after printing READY\n{program._describe()}",
                            pytrace=False)
            if time.monotonic() >= deadline:
                pytest.fail(f"target program's threads did not all fall asleep within {timeout}s "
                            f"(READY pid {program.pid})\n{program._describe()}", pytrace=False)
            time.sleep(0.05)
        yield program
    finally:
        kill_process_group(program.pgid, proc)
        program._reader.join(5)
        if proc.stdout:
            proc.stdout.close()
        _LIVE_GROUPS.pop(proc.pid, None)


def _kill_leftovers() -> None:
    for pgid, proc in list(_LIVE_GROUPS.items()):
        kill_process_group(pgid, proc, timeout=2)
        _LIVE_GROUPS.pop(pgid, None)
    if _TARGETS_TMP is not None:
        shutil.rmtree(_TARGETS_TMP, ignore_errors=True)


atexit.register(_kill_leftovers)

# --------------------------------------------------------------------------------------------
# pytest hooks


def pytest_addoption(parser, pluginmanager):
    # pytest.ini sets `timeout`; without pytest-timeout, accept it silently instead of warning.
    if not pluginmanager.has_plugin("timeout"):
        parser.addini("timeout", "per-test timeout (ignored: pytest-timeout is not installed)")


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # let pytest tear down and kill the targets


def pytest_configure(config):
    if _UNKNOWN_IDS:
        raise pytest.UsageError(f"PYHANG_PYTHONS_ONLY names unknown interpreter(s) "
                                f"{', '.join(_UNKNOWN_IDS)}; known: {', '.join(REQUIRED_IDS)}")
    if _MISSING and not _ALLOW_MISSING:
        lines = "\n".join(f"  {i}: {why}" for i, why in _MISSING.items())
        raise pytest.UsageError(
            f"required Python interpreter(s) missing or unusable:\n{lines}\n"
            f"Provision them (pyenv builds; `scripts/get-pythons.sh` for the Debian 3.13/3.14/3.15 "
            f"builds, found via PYHANG_PYTHONS), restrict with PYHANG_PYTHONS_ONLY=..., or set "
            f"PYHANG_ALLOW_MISSING_PYTHONS=1 to run without them.")
    # Registered here too so that it is known without pytest-xdist.
    config.addinivalue_line("markers", "xdist_group(name): tests that pytest-xdist runs on one worker")
    _set_child_subreaper()
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, _sigterm)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Known per-interpreter failures (version_xfails.py): strict xfail on that interpreter only."""
    from version_xfails import reason_for
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec else ()
        interp = next((p for p in params if isinstance(p, Interp)), None)
        # With pytest-xdist (`-n N --dist loadgroup`, as scripts/test.sh runs it), the tests of
        # one file on one interpreter stay on one worker: the module-scoped targets and the
        # per-interpreter caches (test_corpus2's cores, test_diagnosis's observations) are then
        # made once, not once per worker.
        # A test that names its own group keeps it (one worker runs its every interpreter in turn).
        group = f"{item.path.name}:{interp.id if isinstance(interp, Interp) else '-'}"
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
        if not isinstance(interp, Interp) or callspec.params.get("python") is not interp:
            continue
        test = f"{item.path.name}::{item.nodeid.split('::', 1)[1].split('[')[0]}"
        reason = reason_for(interp.id, test, item.name)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"on {interp.id}: {reason}"))


def pytest_report_header(config):
    lines = [f"pyhang: {pyhang_path()}"]
    for i in INTERPRETERS:
        version = ".".join(map(str, i.version))
        note = "" if version == i.id or i.kind != "debian-deb" else f" (expected {i.id})"
        lines.append(f"  python {i.id:9} {version:8} {i.kind:14} {i.path}{note}")
    for i, why in _MISSING.items():
        lines.append(f"  python {i:9} MISSING: {why}")
    return lines


def pytest_sessionfinish(session, exitstatus):
    _kill_leftovers()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _MISSING:  # only reachable with PYHANG_ALLOW_MISSING_PYTHONS=1
        terminalreporter.write_line(
            f"NOTE: not tested on missing interpreter(s): {', '.join(_MISSING)} "
            f"(PYHANG_ALLOW_MISSING_PYTHONS=1)", yellow=True)
