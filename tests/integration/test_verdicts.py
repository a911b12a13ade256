"""pyhang never cries wolf, and names real hangs: verdicts on realistic programs.

The programs are tests/programs/ok_*.py (healthy: exit status 0 and no finding, ever) and
tests/programs/real_*.py (hung: exit status 1, the right finding, its threads, where each waits
in the program's own code and what it holds), with their helpers _appkit.py and
plugin_catalog.py. Each program prints `READY <pid>` once it reached its steady state.

* Busy controls (ok_busy_*): started once per interpreter and read SAMPLES times at random
  moments (text and --json alternately); every read must say "no deadlock".
* Idle controls (ok_idle_*): read live (text and JSON) and from a gcore core of the READY
  process, without --children: exit 0, no finding.
* Hangs (real_*): read live and from cores (every process of the group for the multiprocessing
  ones, read with --children / all cores together): exit 1 and the expected finding.

Where pyhang is wrong today the test keeps the correct assertion and is marked xfail with what
pyhang says instead (strict, unless the wrong verdict is random: then strict=False and the
reason says so).
"""
from __future__ import annotations

import random
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import pytest

from conftest import (
    take_gcore,
    _merged_env,
    settle_asleep,
    PROGRAMS_DIR,
    HungProgram,
    Interp,
    hung_program,
    kill_process_group,
    pyhang_json,
    run_pyhang,
    thread_states,
)
from stack_helpers import markers

SAMPLES = 20  # reads of each busy program (alternately text and --json)


def program(name: str) -> str:
    return str((PROGRAMS_DIR / name).resolve())


def line(name: str, marker: str) -> int:
    found = markers(program(name))
    assert marker in found, f"no `# LINE:{marker}` in {name}"
    return found[marker]


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"--- {' '.join(map(str, proc.args))} (exit {proc.returncode}) ---\n{proc.stdout}{proc.stderr}"


# --------------------------------------------------------------------------------------------
# Starting programs


# The corpus programs' environment: one malloc arena. gdb's gcore writes the 64 MiB address-space
# reserve of every further arena (one per thread that allocated) as zeros, which made a corpus
# core 160 MiB instead of 30 and the cores most of the run time. The other files' programs keep
# glibc's default, so cores with arenas are still read.
CORPUS_ENV = {"MALLOC_ARENA_MAX": "1"}


@contextmanager
def started(python: Interp, script: str, parent_asleep: bool = False, settle: float = 0.2) -> Iterator[HungProgram]:
    """Start a program that never falls asleep as a whole (busy threads, a busy child): wait for
    READY, then either `settle` seconds or (parent_asleep) until every thread of the READY
    process sleeps, twice in a row; yield; kill the group."""
    env = _merged_env(CORPUS_ENV, for_python=True)
    argv = [python.path, program(script)]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    prog = HungProgram(proc, argv)
    try:
        if not prog._ready.wait(30):
            pytest.fail(f"{script} did not print READY\n{prog._describe()}", pytrace=False)
        if parent_asleep:
            deadline = time.monotonic() + 30
            before = False
            while True:
                states = thread_states(prog.pid)
                now = bool(states) and all(s == "S" for s in states.values())
                if now and before:
                    break
                before = now
                assert time.monotonic() < deadline, f"{script}: the parent never fell asleep\n{prog._describe()}"
                time.sleep(0.05)
        else:
            time.sleep(settle)
        assert proc.poll() is None, f"{script} exited after READY\n{prog._describe()}"
        yield prog
    finally:
        kill_process_group(prog.pgid, proc)
        prog._reader.join(5)
        if proc.stdout:
            proc.stdout.close()


def gcore(pid: int, directory: Path) -> Path:
    prefix = directory / f"core-{pid}"
    g = take_gcore(pid, prefix)
    core = Path(f"{prefix}.{pid}")
    assert g.returncode == 0 and core.is_file(), f"gcore {pid} failed ({g.returncode}): {g.stdout}{g.stderr}"
    return core



def thread_notes(doc: dict, name: str) -> List[str]:
    """The diagnosis notes about thread `name` of the first process: 'Thread TID "name" ...', or
    'process NAME (pid PID) thread name ...' when the report has several processes (a child that
    is not Python, shown from /proc because a pipe to it or a wait for it is in question)."""
    p = doc["processes"][0]
    tid = next(t["tid"] for t in p["threads"] if t["name"] == name)
    several = re.compile(rf'process [^()]* \(pid {p["pid"]}\) thread {re.escape(name)} ')
    return [n for n in doc["diagnosis"]["notes"] if n.startswith(f'Thread {tid} "{name}" ') or several.match(n)]


class Reading(NamedTuple):
    text: subprocess.CompletedProcess  # the text run
    doc: dict  # the JSON document
    json_rc: int  # the JSON run's exit status
    pid: int  # the READY pid


@dataclass
class Job:
    script: str
    parent_asleep: bool = False  # see `started`
    children: bool = False  # read with --children; a core of every process of the group


_READINGS: Dict[Tuple[str, str], Dict[str, Reading]] = {}


class _StartFailed(dict):
    """The readings of a program that could not be started or exited after READY: any lookup
    fails the asking test with the program's name and what went wrong."""

    def __init__(self, name: str, error: BaseException):
        super().__init__()
        self.message = f"{name}: {error}"

    def __getitem__(self, source):
        pytest.fail(self.message, pytrace=False)


def _gcore_or_error(pid: int, directory: Path):
    try:
        return gcore(pid, directory)
    except AssertionError as e:
        return e


# Programs read at once: each chunk is started, read live, cored and killed before the next
# starts. All at once (150 programs, a few with children that compute) kept every busy child
# running through minutes of reads and cores, which two workers on two cores felt.
CHUNK = 16


def read_all(python: Interp, pyhang: str, jobs: Dict[str, Job], tmp_path_factory,
             with_cores: bool = True) -> Dict[str, Dict[str, Reading]]:
    """Each program of `jobs`, read live (text, then JSON) and from gcore cores, once per
    interpreter, CHUNK programs at a time. The programs of a chunk run side by side and their
    cores are taken two at a time (on 2 cores a 78-core set took 31 s with two gdbs at once,
    36 s with four, 39 s with eight). Without `with_cores`, live readings only."""
    key = (python.id, min(jobs))
    if key not in _READINGS:
        directory = tmp_path_factory.mktemp("cores")
        names = sorted(jobs)
        readings: Dict[str, Dict[str, Reading]] = {}
        for at in range(0, len(names), CHUNK):
            chunk = {name: jobs[name] for name in names[at:at + CHUNK]}
            readings.update(_read_chunk(python, pyhang, chunk, directory, with_cores))
        _READINGS[key] = readings
    return _READINGS[key]


def _read_chunk(python: Interp, pyhang: str, jobs: Dict[str, Job], directory: Path,
                with_cores: bool) -> Dict[str, Dict[str, Reading]]:
    live: Dict[str, Reading] = {}
    cores: Dict[str, List[Path]] = {}
    with ExitStack() as stack:
        starts = {name: started(python, name, parent_asleep=True) if job.parent_asleep
                  else hung_program(python, program(name), env=CORPUS_ENV) for name, job in jobs.items()}
        # Entered side by side: some programs need seconds of work to reach their hang. At
        # most 8 at once: a hundred interpreters starting together on two cores delay
        # threads by tenths of a second, more than the sleeps that order some programs' steps.
        with ThreadPoolExecutor(max_workers=min(8, len(starts))) as pool:
            entering = {name: pool.submit(cm.__enter__) for name, cm in starts.items()}
            for name, future in entering.items():
                if future.exception() is None:
                    stack.push(starts[name])  # its __exit__ kills the program
        # A program that failed to start (or to stay hung) fails its own tests, not the test
        # that happened to ask first; the others are read as usual.
        failed = {name: _StartFailed(name, future.exception())
                  for name, future in entering.items() if future.exception() is not None}
        progs = {name: future.result() for name, future in entering.items() if name not in failed}
        for name, prog in progs.items():
            extra = ["--children"] if jobs[name].children else []
            text = run_pyhang(pyhang, "remote", prog.pid, *extra)
            settle_asleep(prog.pid)
            doc, proc = pyhang_json(pyhang, "remote", prog.pid, *extra, with_proc=True)
            live[name] = Reading(text, doc, proc.returncode, prog.pid)
        targets = []
        for name, prog in progs.items():
            if not with_cores:
                break
            pids = [prog.pid] + ([p for p in prog.members() if p != prog.pid] if jobs[name].children else [])
            targets += [(name, pid) for pid in pids]
        with ThreadPoolExecutor(max_workers=2) as pool:
            made = list(pool.map(lambda t: _gcore_or_error(t[1], directory), targets))
        # A program that died before its core was taken fails its own tests (live and core,
        # with how it ended), not the test that asked for the reading first.
        died = {name: core for (name, _), core in zip(targets, made) if isinstance(core, BaseException)}
        for (name, _), core in zip(targets, made):
            if name not in died:
                cores.setdefault(name, []).append(core)
        for name, error in died.items():
            prog = progs[name]
            how = prog._describe() if hasattr(prog, "_describe") else ""
            failed[name] = _StartFailed(name, AssertionError(f"died before its core was taken: {error}\n{how}"))
            for f in cores.pop(name, []):
                f.unlink()
            live.pop(name, None)
    readings: Dict[str, Dict[str, Reading]] = {name: {"live": reading} for name, reading in live.items()}
    readings.update(failed)
    try:
        for name, files in cores.items():
            ctext = run_pyhang(pyhang, "core", *files)
            cdoc, cproc = pyhang_json(pyhang, "core", *files, with_proc=True)
            readings[name] = {"live": live[name], "core": Reading(ctext, cdoc, cproc.returncode, live[name].pid)}
    finally:
        for files in cores.values():
            for f in files:
                f.unlink()
    return readings


# --------------------------------------------------------------------------------------------
# Healthy, busy


BUSY = [
    "ok_busy_queue_relay.py",
    "ok_busy_condition_slot.py",
    "ok_busy_thread_churn.py",
    "ok_busy_executor_batches.py",
    "ok_busy_semaphore_crawler.py",
    "ok_busy_rlock_cache.py",
    "ok_busy_event_pingpong.py",
    "ok_busy_barrier_phases.py",
    "ok_busy_mp_pool_map.py",
    "ok_busy_mp_pipeline.py",
    "ok_busy_mp_churn.py",
    "ok_busy_aio_pipeline.py",
    "ok_busy_aio_short_tasks.py",
    "ok_busy_aio_lock_counter.py",
    "ok_busy_aio_credit_window.py",
    "ok_busy_mp_lock_forkserver.py",
    # Context managers and release paths around plain locks (a lock seen through a wrapper must
    # be one its __enter__ takes, and one whose release is still ahead).
    "ok_busy_traced_lock_stats.py",
    "ok_busy_pool_release_listeners.py",
    "ok_busy_buffer_pause.py",
]

_ALL_BLOCKED = ("pyhang says 'Verdict: DEADLOCK (all-blocked): every thread waits without a timeout and no "
                "thread can wake it.' in {rate} of the reads: it catches the busy threads each inside a wait "
                "(queue get/put, Condition/Event/Barrier wait, join, lock) and does not see that they keep "
                "waking each other")
_LOOP_BLOCKED = ("RANDOM (hence not strict): pyhang says 'Verdict: DEADLOCK (all-blocked): the event loop in "
                 "Thread N \"MainThread\" can never run again: all N tasks wait and nothing can wake them.' "
                 "in a few reads ({rate} on 3.12.1) of a loop that runs its tasks at full speed")

# Busy programs on which pyhang says DEADLOCK: script -> (strict, reason). None today: a wait that
# is caught while it ends (a notified Condition waiter, threading code that runs) is not a wait,
# and a live finding stands only if its threads are still blocked a moment later.
BUSY_WRONG: Dict[str, Tuple[bool, str]] = {}


@pytest.mark.parametrize("script", BUSY)
def test_busy_program_is_never_a_deadlock(python, pyhang, script, request):
    if script in BUSY_WRONG:
        strict, reason = BUSY_WRONG[script]
        request.applymarker(pytest.mark.xfail(strict=strict, reason=reason))
    rng = random.Random(f"{python.id}/{script}")
    wrong: List[str] = []
    with started(python, script) as prog:
        for i in range(SAMPLES):
            time.sleep(rng.uniform(0.0, 0.03))
            args = ["remote", prog.pid] + (["--json"] if i % 2 else [])
            proc = run_pyhang(pyhang, *args)
            last = proc.stdout.rstrip("\n").rsplit("\n", 1)[-1]
            # "no deadlock found", or a wait that looked stuck but moved on in the second look.
            ok = proc.returncode == 0 and (('"verdict": "no-deadlock"' in proc.stdout and '"findings": []' in proc.stdout)
                                           if i % 2 else last.startswith("Verdict: no deadlock"))
            if not ok:
                # One wrong verdict fails the test: stop here rather than spend the other reads.
                wrong.append(f"read {i + 1} of {SAMPLES} said DEADLOCK:\n{describe(proc)}")
                break
    assert not wrong, f"a read of the healthy busy program {script} was wrong; {wrong[0][-6000:]}"


# --------------------------------------------------------------------------------------------
# Healthy, idle


@dataclass
class Idle:
    parent_asleep: bool = False  # a child keeps running: wait for the READY process only
    # thread name -> fragments its note must contain (live); "@marker function" stands for
    # "<script>:<line of marker> in function"
    note: Dict[str, Sequence[str]] = field(default_factory=dict)
    # Fragments of the live verdict line, in order, when it is not "Verdict: no deadlock found."
    # (the program waits for something outside its threads, and the verdict says what)
    verdict: Sequence[str] = ()
    # "Verdict: no deadlock found." will do too: 3.6 and 3.7's Pool checks its workers every
    # 0.1 s (time.sleep in _handle_workers), and a read on a loaded machine may catch that thread
    # running; then not every thread waits, which is all the longer verdict says.
    plain_verdict_ok: bool = False
    # The verdict above needs the kernel's view (a blocked read): from a core, where a thread in
    # read(2) waits for nothing pyhang can name, the plain "no deadlock found".
    verdict_live_only: bool = False


IDLE: Dict[str, Idle] = {
    "ok_idle_sigterm_daemon.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGTERM "
                                               "(its handler ", ") can still wake the program.")),
    "ok_idle_sigwait.py": Idle(note={"MainThread": ["waits for a signal", "@pause main"],
                                     "reloader": ["waits for a signal"]}),
    "ok_idle_recv_remote.py": Idle(note={"MainThread": ["waits to read from TCP socket 127.0.0.1:", " -> 127.0.0.1:",
                                                        ", the other end held by pid ", "@client_recv main"]}),
    "ok_idle_recv_local.py": Idle(note={"MainThread": ["waits to read from TCP socket 127.0.0.1:",
                                                       ", the other end held by this process (fd ", "@client_recv main"],
                                        "rpc-server": ["waits to read from TCP socket 127.0.0.1:",
                                                       ", the other end held by this process (fd ", "@server_recv server"]}),
    "ok_idle_input_pipe.py": Idle(note={"MainThread": ["waits to read from a pipe (pipe:[", "(fd 0)", "@input main"]}),
    "ok_idle_timer_far.py": Idle(note={"MainThread": ["waits for session-expiry to finish", "@main_join main"],
                                       "session-expiry": ["(with a timeout)"]}),
    "ok_idle_sleep_all.py": Idle(note={"MainThread": ["sleep", "@main_sleep main"],
                                       "rotate-logs": ["sleep", "@thread_sleep hourly"],
                                       "vacuum-db": ["sleep", "@thread_sleep hourly"]}),
    # The child is not Python: shown from /proc (sleeping), as --children would show it.
    "ok_idle_popen_wait.py": Idle(note={"MainThread": ["waits for process sleep (pid ", "@popen_wait main"]}),
    "ok_idle_mp_pool_busy.py": Idle(parent_asleep=True, plain_verdict_ok=True,
                                    verdict=("Verdict: no deadlock: every thread waits, and child process",
                                             "which ", "not in this report (")),
    "ok_idle_ppe_render_farm.py": Idle(parent_asleep=True,
                                       verdict=("Verdict: no deadlock: every thread waits, and child process",
                                                "which ", "not in this report (")),
    "ok_idle_selectors.py": Idle(note={"MainThread": ["waits in epoll for I/O"]}),
    "ok_idle_pipe_writer_sleeps.py": Idle(note={"listener": ["waits to read from a pipe (pipe:[", "@reader_read listen"],
                                                "heartbeat": ["sleep", "@writer_sleep heartbeat"]}),
    "ok_idle_signal_selfpipe.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGTERM "
                                                "(its handler ", ") can still wake the program."),
                                       verdict_live_only=True),
    "ok_idle_fd_handoff.py": Idle(note={"session": ["waits to read from Unix socket", "@session_recv session"]}),
    # Which worker runs a job and which an upload depends on who starts first: the main thread's
    # wait is the one certain note.
    "ok_idle_pool_nested_wait.py": Idle(note={"MainThread": ["waits for event", "@main_wait main"]}),
    "ok_idle_flock_holder.py": Idle(note={"MainThread": ["waits for an exclusive flock() on ", "backup.lock (fd ",
                                                        ", held by pid ", "[not in this report]", "@flock_wait main"]}),
    "ok_idle_aio_server.py": Idle(),
    "ok_idle_aio_call_later.py": Idle(),
    # The future of run_coroutine_threadsafe() is the loop's to complete, not the default
    # executor's, whose only worker waits (through join) for the thread waiting on it.
    "ok_idle_aio_threadsafe_bridge.py": Idle(note={"bridge": ["waits for the result of future fut",
                                                              "@bridge_result bridge"]}),
}

# (script, interpreter id or None for all, source or None for both) -> what pyhang says instead
IDLE_WRONG: Dict[Tuple[str, Optional[str], Optional[str]], str] = {
    # A core has neither the kernel's signal mask nor the process tree: there the pool's worker
    # is a child the program knows (multiprocessing's Process objects), which pyhang names.
}

def read_idle(python: Interp, pyhang: str, script: str, tmp_path_factory) -> Dict[str, Reading]:
    """{"live": Reading, "core": Reading} of an idle control (all of them are read at once)."""
    jobs = {name: Job(name, parent_asleep=spec.parent_asleep) for name, spec in IDLE.items()}
    return read_all(python, pyhang, jobs, tmp_path_factory)[script]


def _idle_xfail(request, python: Interp, script: str, source: str) -> None:
    for (s, interp, src), reason in IDLE_WRONG.items():
        if s == script and interp in (None, python.id) and src in (None, source):
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
            return


@pytest.mark.parametrize("source", ["live", "core"])
@pytest.mark.parametrize("script", sorted(IDLE))
def test_idle_program_is_not_a_deadlock(python, pyhang, script, source, request, tmp_path_factory):
    _idle_xfail(request, python, script, source)
    text, doc, json_rc, _ = read_idle(python, pyhang, script, tmp_path_factory)[source]
    last = text.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    assert (text.returncode, json_rc) == (0, 0), describe(text)
    want = IDLE[script].verdict
    if IDLE[script].verdict_live_only and source == "core":
        want = ()
    if IDLE[script].plain_verdict_ok and python.version < (3, 8) and last == "Verdict: no deadlock found.":
        want = ()
    if want:
        pos = 0
        for fragment in want:
            at = last.find(fragment, pos)
            assert at >= 0, (fragment, last, describe(text))
            pos = at + len(fragment)
    else:
        assert last == "Verdict: no deadlock found.", describe(text)
    assert doc["diagnosis"]["verdict"] == "no-deadlock" and doc["diagnosis"]["findings"] == [], describe(text)
    if source == "live":
        threads = {t["name"]: t for t in doc["processes"][0]["threads"]}
        for name, fragments in IDLE[script].note.items():
            assert name in threads, (name, sorted(threads), describe(text))
            notes = thread_notes(doc, name)
            assert len(notes) == 1, (name, notes, describe(text))
            for fragment in fragments:
                if fragment.startswith("@"):
                    marker, function = fragment[1:].split()
                    fragment = f"{script}:{line(script, marker)} in {function}"
                assert fragment in notes[0], (name, fragment, notes[0], describe(text))


# --------------------------------------------------------------------------------------------
# Hangs


@dataclass
class Wait:
    file: str  # the program file (of tests/programs) where the participant waits
    marker: str  # its `# LINE:` marker
    function: str
    holds: Sequence[Tuple[str, str]] = ()  # (file, marker) of the `with`/acquire() of each hold
    child: bool = False  # the participant is in a child process (not the READY one)


@dataclass
class Hang:
    kind: str
    participants: Dict[str, Wait]
    children: bool = False  # read with --children (live) / all the group's cores
    min_version: Tuple[int, int] = (3, 0)  # the program cannot reach its hang on older versions
    # The hang is seen only live (who holds a pipe's or socket's ends is read from /proc): a
    # core must then say no deadlock rather than guess.
    live_only: bool = False


HANGS: Dict[str, Hang] = {
    "real_pipe_handshake.py": Hang("read-cycle", {
        "MainThread": Wait("real_pipe_handshake.py", "supervisor_recv", "main"),
        "child:MainThread": Wait("real_pipe_handshake.py", "worker_recv", "worker", child=True),
    }, children=True, live_only=True),
    "real_pipe_thread_pair.py": Hang("read-cycle", {
        "collector": Wait("real_pipe_thread_pair.py", "collector_read", "collector"),
        "shipper": Wait("real_pipe_thread_pair.py", "shipper_read", "shipper"),
    }, live_only=True),
    # Only one side reads: the write end belongs to the process, whose every thread is blocked.
    "real_pipe_writer_gone.py": Hang("read-cycle", {
        "consumer": Wait("real_pipe_writer_gone.py", "reader_read", "consume"),
        "MainThread": Wait("real_pipe_writer_gone.py", "main_join", "main"),
    }, live_only=True),
    "real_import_lock.py": Hang("join-cycle", {
        "catalog-warmer": Wait("plugin_catalog.py", "warm_import", "_warm_up"),
        "MainThread": Wait("plugin_catalog.py", "body_join", "<module>"),
    }),
    "real_gc_pool_checkout.py": Hang("gc-reentrancy", {
        "MainThread": Wait("real_gc_pool_checkout.py", "give_back_with", "give_back",
                           holds=[("real_gc_pool_checkout.py", "checkout_with")]),
    }),
    # Before 3.13 the collector practically never starts inside Condition.__exit__ (3.8-3.11
    # collect on an allocation, and __exit__ makes none that is not freed at once; 3.12 runs it
    # at the first check after the allocation, which this program never hits there).
    "real_gc_condition_exit.py": Hang("gc-reentrancy", {
        "MainThread": Wait("real_gc_condition_exit.py", "give_back_with", "give_back",
                           holds=[("real_gc_condition_exit.py", "checkout_with")]),
    }, min_version=(3, 13)),
    "real_gc_del_lock.py": Hang("gc-reentrancy", {
        "MainThread": Wait("real_gc_del_lock.py", "traced_acquire", "acquire",
                           holds=[("real_gc_del_lock.py", "create_with")]),
    }),
    "real_executor_starvation.py": Hang("join-cycle", {
        "reports_0": Wait("real_executor_starvation.py", "task_result", "<genexpr>"),
    }),
    "real_executor_nested.py": Hang("join-cycle", {
        "orders_0": Wait("real_executor_nested.py", "outer_result", "process_batch"),
        "orders_1": Wait("real_executor_nested.py", "outer_result", "process_batch"),
    }),
    "real_mp_pool_parent_lock.py": Hang("join-cycle", {
        "MainThread": Wait("real_mp_pool_parent_lock.py", "parent_get", "main",
                           holds=[("real_mp_pool_parent_lock.py", "parent_with")]),
        "child:MainThread": Wait("real_mp_pool_parent_lock.py", "job_with", "post_entry", child=True),
    }, children=True),
    "real_mp_ppe_parent_lock.py": Hang("join-cycle", {
        "MainThread": Wait("real_mp_ppe_parent_lock.py", "parent_result", "main",
                           holds=[("real_mp_ppe_parent_lock.py", "parent_with")]),
        "child:MainThread": Wait("real_mp_ppe_parent_lock.py", "job_with", "append_rows", child=True),
    }, children=True, min_version=(3, 7)),  # ProcessPoolExecutor(initializer=) is 3.7+
    "real_logging_cycle.py": Hang("lock-order-cycle", {
        "api": Wait("real_logging_cycle.py", "emit_with", "emit"),
        "notifier": Wait("real_logging_cycle.py", "notifier_log", "notifier",
                         holds=[("real_logging_cycle.py", "notifier_with")]),
    }),
    "real_global_object_cycle.py": Hang("lock-order-cycle", {
        "statement": Wait("real_global_object_cycle.py", "statement_wait", "statement",
                          holds=[("real_global_object_cycle.py", "statement_acquire")]),
        "payroll": Wait("real_global_object_cycle.py", "payroll_wait", "payroll",
                        holds=[("real_global_object_cycle.py", "payroll_with")]),
    }),
    "real_bank_three.py": Hang("lock-order-cycle", {
        name: Wait("real_bank_three.py", "take_destination", "transfer", holds=[("real_bank_three.py", "take_source")])
        for name in ("teller-1", "teller-2", "teller-3")
    }),
    "real_cache_rlock_condition.py": Hang("lock-order-cycle", {
        "loader": Wait("real_cache_rlock_condition.py", "load_wait", "load",
                       holds=[("real_cache_rlock_condition.py", "load_outer")]),
        "refresher": Wait("real_cache_rlock_condition.py", "refresh_wait", "refresh",
                          holds=[("real_cache_rlock_condition.py", "refresh_with")]),
    }),
    "real_callback_reentry.py": Hang("self-deadlock", {
        "publisher": Wait("real_callback_reentry.py", "subscribe_with", "subscribe",
                          holds=[("real_callback_reentry.py", "publish_with")]),
    }),
    "real_queue_task_done.py": Hang("all-blocked", {
        "uploader": Wait("real_queue_task_done.py", "worker_get", "uploader"),
        "MainThread": Wait("real_queue_task_done.py", "main_join", "main"),
    }),
    "real_barrier_missing.py": Hang("all-blocked", {
        "shard-eu": Wait("real_barrier_missing.py", "shard_wait", "load"),
        "shard-us": Wait("real_barrier_missing.py", "shard_wait", "load"),
        "MainThread": Wait("real_barrier_missing.py", "main_wait", "main"),
    }),
    # Every thread of the forked child waits for a lock of its own process: no other process can
    # release it, so the parent's busy thread does not make it less stuck.
    "real_fork_held_lock.py": Hang("all-blocked", {
        "child:MainThread": Wait("real_fork_held_lock.py", "child_with", "snapshot", child=True),
    }, children=True),
    # The child's outer frames (the parent's, under Popen._launch) hold nothing in the child.
    "real_mp_lock_join_child.py": Hang("join-cycle", {
        "MainThread": Wait("real_mp_lock_join_child.py", "main_join", "main",
                           holds=[("real_mp_lock_join_child.py", "main_acquire")]),
        "child:MainThread": Wait("real_mp_lock_join_child.py", "writer_with", "writer", child=True),
    }, children=True),
    # run_coroutine_threadsafe(...).result() on a loop's thread: the future waits in a loop's
    # ready queue, run only by a thread that is blocked (the other loop's, or its own).
    "real_aio_two_loops.py": Hang("join-cycle", {
        "orders-loop": Wait("real_aio_two_loops.py", "ask_result", "ask"),
        "billing-loop": Wait("real_aio_two_loops.py", "ask_result", "ask"),
    }),
    "real_aio_threadsafe_own_loop.py": Hang("join-cycle", {
        "MainThread": Wait("real_aio_threadsafe_own_loop.py", "sync_result", "get_config_sync"),
    }),
    # Nested fan-out with concurrent.futures.wait(): the tiles wait in the pool's queue behind the
    # pages that wait for them (the queued futures' _waiters hold the wait's waiter).
    "real_pool_nested_wait.py": Hang("join-cycle", {
        "render_0": Wait("real_pool_nested_wait.py", "page_wait", "render_page"),
        "render_1": Wait("real_pool_nested_wait.py", "page_wait", "render_page"),
    }),
    # File locks: who holds one is read from /proc/locks and the holders' /proc/PID/fdinfo, so
    # these are live-only diagnoses (from a core the threads are only in a system call).
    "real_flock_order.py": Hang("lock-order-cycle", {
        "MainThread": Wait("real_flock_order.py", "scheduler_state", "main"),
        "child:MainThread": Wait("real_flock_order.py", "indexer_queue", "indexer", child=True),
    }, children=True, live_only=True),
    "real_flock_reentry.py": Hang("self-deadlock", {
        "MainThread": Wait("real_flock_reentry.py", "helper_flock", "locked"),
    }, live_only=True),
    "real_lockf_mp_lock.py": Hang("lock-order-cycle", {
        "MainThread": Wait("real_lockf_mp_lock.py", "exporter_lockf", "main",
                           holds=[("real_lockf_mp_lock.py", "exporter_with")]),
        "child:MainThread": Wait("real_lockf_mp_lock.py", "archiver_with", "archiver", child=True),
    }, children=True, live_only=True),
    # Signal handlers that are not plain (signum, frame) functions: a lambda and a bound method.
    "real_signal_lambda_handler.py": Hang("signal-reentrancy", {
        "MainThread": Wait("real_signal_lambda_handler.py", "reload_with", "reload",
                           holds=[("real_signal_lambda_handler.py", "serve_with")]),
    }),
    "real_signal_method_handler.py": Hang("signal-reentrancy", {
        "MainThread": Wait("real_signal_method_handler.py", "handler_with", "on_dump",
                           holds=[("real_signal_method_handler.py", "rebalance_with")]),
    }),
    "real_signal_tight_loop.py": Hang("signal-reentrancy", {
        "MainThread": Wait("real_signal_tight_loop.py", "handler_with", "on_stats",
                           holds=[("real_signal_tight_loop.py", "compact_with")]),
    }),
    "real_semaphore_leak.py": Hang("all-blocked", {
        "downloader-1": Wait("real_semaphore_leak.py", "download_acquire", "download"),
        "downloader-2": Wait("real_semaphore_leak.py", "download_acquire", "download"),
        "MainThread": Wait("real_semaphore_leak.py", "main_join", "main"),
    }),
}

# (script, interpreter id or None, source or None) -> what pyhang says instead (strict xfail)
HANG_WRONG: Dict[Tuple[str, Optional[str], Optional[str]], str] = {
}


def read_hang(python: Interp, pyhang: str, script: str, tmp_path_factory) -> Dict[str, Reading]:
    """{"live": Reading, "core": Reading} of a hang (all of them are read at once)."""
    jobs = {name: Job(name, children=spec.children) for name, spec in HANGS.items()
            if python.version[:2] >= spec.min_version}
    return read_all(python, pyhang, jobs, tmp_path_factory)[script]


def _hang_xfail(request, python: Interp, script: str, source: str) -> None:
    for (s, interp, src), reason in HANG_WRONG.items():
        if s == script and interp in (None, python.id) and src in (None, source):
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
            return


def participant_key(p: dict, ready_pid: int) -> str:
    return p["thread"] if p["pid"] == ready_pid else f"child:{p['thread']}"


@pytest.mark.parametrize("source", ["live", "core"])
@pytest.mark.parametrize("script", sorted(HANGS))
def test_hang_is_named(python, pyhang, script, source, request, tmp_path_factory):
    spec = HANGS[script]
    if python.version[:2] < spec.min_version:
        pytest.skip(f"{script} cannot reach its hang before {spec.min_version[0]}.{spec.min_version[1]} "
                    f"(see the comment in HANGS); real_gc_pool_checkout.py covers this interpreter")
    _hang_xfail(request, python, script, source)
    text, doc, json_rc, ready_pid = read_hang(python, pyhang, script, tmp_path_factory)[source]
    shown = describe(text)
    if spec.live_only and source == "core":
        assert (text.returncode, json_rc, doc["diagnosis"]["verdict"]) == (0, 0, "no-deadlock"), shown
        return
    assert (text.returncode, json_rc) == (1, 1), shown
    diag = doc["diagnosis"]
    assert diag["verdict"] == "deadlock", shown
    assert [f["kind"] for f in diag["findings"]] == [spec.kind], shown
    assert text.stdout.rstrip("\n").rsplit("\n", 1)[-1].startswith(f"Verdict: DEADLOCK ({spec.kind})"), shown
    finding = diag["findings"][0]
    got = {participant_key(p, ready_pid): p for p in finding["participants"]}
    assert sorted(got) == sorted(spec.participants), shown
    errors = []
    for name, want in spec.participants.items():
        p = got[name]
        at = {"file": program(want.file), "line": line(want.file, want.marker), "function": want.function}
        if p["at"] != at:
            errors.append(f"{name}: waits at {p['at']}, expected {at}")
        if p["waits_for"] is None or p["waits_for"]["timeout"]:
            errors.append(f"{name}: waits for {p['waits_for']}, expected a wait without a timeout")
        since = [h["since"] for h in p["holds"]]
        for file, marker in want.holds:
            where = {"file": program(file), "line": line(file, marker)}
            if not any({k: s.get(k) for k in ("file", "line")} == where for s in since):
                errors.append(f"{name}: holds nothing taken at {file}:{where['line']} ({marker}); holds {p['holds']}")
    assert not errors, "\n".join(errors) + "\n" + shown
