"""pyhang never harms its target: whatever happens to pyhang, the target runs on unchanged.

The target (tests/programs/heartbeat.py) keeps a thread printing `BEAT <n> <monotonic time>`
every 100 ms, so each test can see that it keeps making progress; its main thread is blocked
on a lock and must be found in the same place by every run. One target per interpreter serves
all the tests of this module (module-scoped), so a test that harmed it would also make the
following ones fail.

PYHANG_TEST_HOLD_STOP_MS=<ms> makes pyhang sleep that long while it holds the target stopped
(after attaching, blocking mode only): the tests use it to act while the target is stopped.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import threading
import time
from typing import Dict, List, Tuple

import pytest

from conftest import (
    INTERPRETERS,
    PROGRAMS_DIR,
    hung_program,
    is_running,
    pyhang_json,
    run_pyhang,
    thread_states,
    wait_until,
)
from stack_helpers import expect, frame_tuples, markers, threading_prefix

HEARTBEAT = PROGRAMS_DIR / "heartbeat.py"
_BEAT_RE = re.compile(r"^BEAT (\d+) ([0-9.]+)$", re.M)


@pytest.fixture(scope="module", params=INTERPRETERS, ids=[i.id for i in INTERPRETERS])
def python(request):
    """conftest's `python`, module-scoped: one heartbeat target per interpreter."""
    return request.param


@pytest.fixture(scope="module")
def target(python, pyhang):
    with hung_program(python, HEARTBEAT) as prog:
        # The reference report: what every later run must find again.
        doc = pyhang_json(pyhang, "remote", prog.pid, "--locals", "--no-analysis")
        prog.reference = doc
        yield prog
        # After all the tests: still alive, never stopped, still beating.
        assert prog.proc.poll() is None
        assert_beating(prog)


def beats(prog) -> List[Tuple[int, float]]:
    return [(int(n), float(t)) for n, t in _BEAT_RE.findall(prog.output_so_far)]


def last_beat(prog) -> int:
    b = beats(prog)
    return b[-1][0] if b else 0


def assert_beating(prog, count: int = 3) -> None:
    """The heartbeat advances by ``count`` more beats (and its numbering has no gap)."""
    start = last_beat(prog)
    wait_until(lambda: last_beat(prog) >= start + count, timeout=15,
               message=f"the target's heartbeat to advance from {start} by {count}")
    numbers = [n for n, _ in beats(prog)]
    assert numbers == list(range(1, len(numbers) + 1)), "a BEAT line is missing or repeated"


def tracer_pids(pid: int) -> Dict[int, int]:
    """{tid: TracerPid} of every thread of ``pid``."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        out[int(tid)] = int(line.split()[1])
        except OSError:
            pass
    return out


def assert_released(prog) -> None:
    """Every thread runs again and nothing traces the target any more."""
    wait_until(lambda: is_running(prog.pid), timeout=10, message="the target to run again")
    wait_until(lambda: set(tracer_pids(prog.pid).values()) == {0}, timeout=10,
               message="the target to have no tracer")
    assert prog.proc.poll() is None


def assert_same_place(prog, doc) -> None:
    """A report of the target matches the reference one (main thread exactly; heartbeat thread
    somewhere in beat(), below the same threading frames)."""
    ref = {t["name"]: t for t in prog.reference["processes"][0]["threads"]}
    got = {t["name"]: t for t in doc["processes"][0]["threads"]}
    assert list(got) == list(ref) == ["heartbeat", "MainThread"]
    assert frame_tuples(got["MainThread"]) == frame_tuples(ref["MainThread"])
    assert got["MainThread"]["tid"] == prog.pid
    hb, hb_ref = frame_tuples(got["heartbeat"]), frame_tuples(ref["heartbeat"])
    assert hb[:-1] == hb_ref[:-1] and hb[-1][:3] == hb_ref[-1][:3]
    assert hb[-1][0] == "beat"


def start_holding(pyhang, prog, hold_ms: int, *args) -> subprocess.Popen:
    """Start pyhang with the hold and wait until it has stopped every thread of the target."""
    env = dict(os.environ, PYHANG_TEST_HOLD_STOP_MS=str(hold_ms))
    p = subprocess.Popen([pyhang, "remote", str(prog.pid), *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: set(thread_states(prog.pid).values()) == {"t"}, timeout=20,
                   message="pyhang to stop every thread of the target (state t)")
        assert set(tracer_pids(prog.pid).values()) == {p.pid}
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p


def test_reference_report(target, python):
    doc = target.reference
    main = {t["name"]: t for t in doc["processes"][0]["threads"]}["MainThread"]
    m = markers(str(HEARTBEAT))
    assert frame_tuples(main) == [expect(python, "<module>", str(HEARTBEAT), m["main"])]
    hb = {t["name"]: t for t in doc["processes"][0]["threads"]}["heartbeat"]
    assert frame_tuples(hb)[:2] == threading_prefix(python)
    assert_released(target)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGKILL", "SIGINT", "SIGTERM", "SIGHUP"])
def test_pyhang_killed_while_target_stopped(target, pyhang, sig):
    assert_beating(target, 1)
    p = start_holding(pyhang, target, 3000)
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    # SIGKILL: the kernel detaches the tracees (PTRACE_SEIZE). The others: pyhang's handler
    # detaches every thread, then dies of the same signal.
    assert p.returncode == -sig, (p.returncode, err)
    assert out == ""
    assert_released(target)
    assert_beating(target)
    doc = pyhang_json(pyhang, "remote", target.pid, "--locals", "--no-analysis")
    assert_same_place(target, doc)
    assert_released(target)


def tgkill(pid: int, tid: int, sig: int) -> None:
    """Send ``sig`` to one thread (tgkill(2), x86_64 syscall 234)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(234, pid, tid, sig) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def test_signal_sent_while_stopped_is_delivered_after(target, pyhang):
    """A signal sent to the target while pyhang holds it stopped is neither lost nor handled
    during the stop: the target's handler runs once pyhang has detached.

    The signal is sent to the main thread itself (tgkill): Python runs handlers in the main
    thread only, and a process-directed signal (kill) that arrives while every thread is stopped
    may be taken, after the detach, by whichever thread resumes first; if that is the heartbeat
    thread, the main thread stays blocked in its acquire() and the handler waits for it."""
    before = target.output_so_far.count("SIGNAL USR1")
    p = start_holding(pyhang, target, 1000, "--json", "--no-analysis")
    try:
        tgkill(target.pid, target.pid, signal.SIGUSR1)
        assert set(thread_states(target.pid).values()) == {"t"}
        assert target.output_so_far.count("SIGNAL USR1") == before
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert '"schema": "pyhang/1"' in out
    assert_released(target)
    wait_until(lambda: target.output_so_far.count("SIGNAL USR1") == before + 1, timeout=10,
               message="the target's SIGUSR1 handler to run")
    assert_beating(target)


def test_no_block_never_stops_the_target(target, pyhang):
    """--no-block reads without attaching: no thread is ever stopped or traced, and the
    heartbeat never stalls (the hold only applies to blocking mode)."""
    seen: Dict[str, int] = {}
    tracers = set()
    done = threading.Event()

    def sample():
        while not done.is_set():
            for s in thread_states(target.pid).values():
                seen[s] = seen.get(s, 0) + 1
            tracers.update(tracer_pids(target.pid).values())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    first = last_beat(target)
    start = time.monotonic()
    sampler.start()
    try:
        for _ in range(10):
            doc, proc = pyhang_json(pyhang, "remote", target.pid, "--no-block", "--locals",
                                    "--no-analysis", env={"PYHANG_TEST_HOLD_STOP_MS": "3000"},
                                    with_proc=True)
            assert proc.returncode == 0, proc.stderr
            assert [t["name"] for t in doc["processes"][0]["threads"]] == ["heartbeat", "MainThread"]
            assert frame_tuples(doc["processes"][0]["threads"][1]) == frame_tuples(
                target.reference["processes"][0]["threads"][1])
        assert_beating(target, 2)
    finally:
        done.set()
        sampler.join()
    assert seen and not (set(seen) & {"t", "T"}), seen
    assert tracers == {0}
    # No stall: consecutive beats during the runs stay well below the 3 s hold.
    window = [t for n, t in beats(target) if n >= first]
    gaps = [b - a for a, b in zip(window, window[1:])]
    assert gaps and max(gaps) < 1.5, gaps
    assert time.monotonic() - start < 30


def test_twenty_runs_in_a_row(target, pyhang):
    """Repeated attach/detach leaves the target running, with the same report every time."""
    for i in range(20):
        doc, proc = pyhang_json(pyhang, "remote", target.pid, "--locals", "--no-analysis",
                                with_proc=True)
        assert proc.returncode == 0 and proc.stderr == "", (i, proc.stderr)
        assert_same_place(target, doc)
        assert doc["processes"][0]["stop_ms"] < 2000
        assert is_running(target.pid), i
        assert set(tracer_pids(target.pid).values()) == {0}, i
    assert_beating(target)


def test_verbose_reports_the_stop(target, pyhang):
    """-v says how long the target was stopped, on the line after the Python line."""
    r = run_pyhang(pyhang, "remote", target.pid, "-v", "--no-analysis")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].startswith("Python ") and lines[1].endswith(", live process")
    m = re.fullmatch(r"The process was stopped for (\d+\.\d{3}) ms", lines[2])
    assert m, lines[:4]
    assert 0 < float(m.group(1)) < 2000
    assert lines[3] == ""
    assert_released(target)


@pytest.mark.parametrize("stop,then", [(signal.SIGTSTP, signal.SIGCONT), (signal.SIGTTIN, signal.SIGKILL),
                                       (signal.SIGTTOU, signal.SIGCONT)],
                         ids=["SIGTSTP-SIGCONT", "SIGTTIN-SIGKILL", "SIGTTOU-SIGCONT"])
def test_suspending_pyhang_resumes_the_target_first(target, pyhang, stop, then):
    """Ctrl-Z on pyhang while it holds the target stopped: the target runs again before pyhang
    stops, and stays running for as long as pyhang is suspended. Continued, pyhang finishes its
    report (with a warning); killed, it leaves nothing behind."""
    env = dict(os.environ, PYHANG_TEST_HOLD_STOP_MS="3000")
    # Its own process group, in pytest's session: a stop signal to a process of an orphaned
    # group is discarded by the kernel, and the default action must really stop pyhang here.
    p = subprocess.Popen([pyhang, "remote", str(target.pid), "--json", "--no-analysis"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL, process_group=0)
    try:
        wait_until(lambda: set(thread_states(target.pid).values()) == {"t"}, timeout=20,
                   message="pyhang to stop every thread of the target (state t)")
        p.send_signal(stop)
        wait_until(lambda: thread_states(p.pid).get(p.pid) == "T", timeout=10,
                   message="pyhang to be suspended (state T)")
        assert_released(target)
        assert_beating(target, 2)
        assert thread_states(p.pid).get(p.pid) == "T"  # still suspended all along
        p.send_signal(then)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert_released(target)
    if then == signal.SIGKILL:
        assert p.returncode == -signal.SIGKILL
    else:
        assert p.returncode == 0, err
        doc = json.loads(out)
        assert [w for w in doc["warnings"] if "suspended" in w and "inconsistent" in w], doc["warnings"]
        assert [t["name"] for t in doc["processes"][0]["threads"]] == ["heartbeat", "MainThread"]
    assert_beating(target)


def test_report_write_errors(target, pyhang, tmp_path):
    """An output that cannot be written gives exit status 11, after the target runs again: a
    full disk with a message, a closed stdout with a message before anything is attached, a
    reader that went away (EPIPE, `| head`) silently."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([pyhang, "remote", str(target.pid)], stdout=full, stderr=subprocess.PIPE,
                           text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 11
    assert r.stderr.splitlines() == [
        "pyhang: could not write the report to standard output: No space left on device",
        "hint: check the disk or file the output goes to (or send it elsewhere)"]
    assert_released(target)

    r = subprocess.run(["sh", "-c", 'exec "$0" remote "$1" >&-', pyhang, str(target.pid)],
                       stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 11
    assert r.stderr.splitlines() == [
        "pyhang: standard output is closed: there is nowhere to write the report",
        "hint: redirect the output to a file, or to /dev/null to test"]
    assert_released(target)

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        r = subprocess.run([pyhang, "remote", str(target.pid), "--locals"], stdout=write_end,
                           stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(write_end)
    assert r.returncode == 11
    assert r.stderr == ""
    assert_released(target)
    assert_beating(target)


def test_what_a_stop_does_to_blocked_system_calls(python, pyhang):
    """README, "Harmless to the target": each attach ends a raw epoll_wait() in C code with EINTR
    once, as any stop and continue does (SIGSTOP/SIGCONT); select() is restarted by the kernel,
    and Python's own calls retry (PEP 475); --no-block changes nothing."""
    with hung_program(python, "eintr_probe.py") as prog:
        def raw_eintrs():
            return prog.output_so_far.count("RAW epoll_wait -1 EINTR")

        for n in (1, 2, 3):
            r = run_pyhang(pyhang, "remote", prog.pid, "--no-analysis")
            assert r.returncode == 0, r.stderr
            wait_until(lambda: raw_eintrs() >= n, timeout=10, message=f"EINTR number {n}")
        os.kill(prog.pid, signal.SIGSTOP)
        wait_until(lambda: set(thread_states(prog.pid).values()) == {"T"}, timeout=10, message="SIGSTOP")
        os.kill(prog.pid, signal.SIGCONT)
        wait_until(lambda: raw_eintrs() >= 4, timeout=10, message="EINTR after SIGSTOP/SIGCONT")
        r = run_pyhang(pyhang, "remote", prog.pid, "--no-analysis", "--no-block")
        assert r.returncode == 0, r.stderr
        # One more attach, so that anything --no-block (or an extra EINTR) printed is seen before it.
        r = run_pyhang(pyhang, "remote", prog.pid, "--no-analysis")
        assert r.returncode == 0, r.stderr
        wait_until(lambda: raw_eintrs() >= 5, timeout=10, message="EINTR number 5")
        out = prog.output_so_far
        assert raw_eintrs() == 5, out
        assert [l for l in out.splitlines() if l.startswith(("RAW", "PYTHON"))] == ["RAW epoll_wait -1 EINTR"] * 5
