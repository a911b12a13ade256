"""Side-by-side measurements for bench.py: pyhang against PyStack, and pyhang's stop time against
the floor (bench/stop_floor.c: seize, interrupt, wait, detach and nothing else), on the same
target, the runs interleaved so that both sides see the same machine. Ratios are computed pair by
pair (run i of pyhang against run i of the other), and their median reported.

PyStack is used when PYHANG_BENCH_PYSTACK names the directory bench/get-pystack.sh built (it
holds src/pystack); PYHANG_BENCH_PYSTACK_PYTHON is the interpreter it runs under (default
/usr/bin/python3.11). The floor is used unless PYHANG_BENCH_FLOOR=0.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Scenario -> the PyStack arguments after the target (None: PyStack cannot do it).
PYSTACK_ARGS = {"a": [], "l": ["--locals"], "n": ["--native"], "b": [], "k": [], "t": []}


def pystack():
    """(argv prefix, env) to run PyStack, or None when PYHANG_BENCH_PYSTACK is not set."""
    root = os.environ.get("PYHANG_BENCH_PYSTACK", "").strip()
    if not root:
        return None
    src = Path(root) / "src"
    if not (src / "pystack").is_dir():
        raise RuntimeError(f"PYHANG_BENCH_PYSTACK={root}: no src/pystack there (run bench/get-pystack.sh)")
    python = os.environ.get("PYHANG_BENCH_PYSTACK_PYTHON", "/usr/bin/python3.11")
    env = dict(os.environ, PYTHONPATH=str(src))
    return [python, "-m", "pystack"], env


def floor_binary(results_dir):
    """Path of the compiled stop_floor helper, or None (PYHANG_BENCH_FLOOR=0, or no C compiler)."""
    if os.environ.get("PYHANG_BENCH_FLOOR", "1") in ("0", ""):
        return None
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    out = Path(results_dir) / "stop_floor"
    src = BENCH / "stop_floor.c"
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        subprocess.run([cc, "-O2", "-o", str(out), str(src)], check=True)
    return str(out)


def run_once(argv, env=None):
    """Runs argv to completion, output discarded: (wall ms, user+sys ms, ru_maxrss MB, exit status).
    The ru_maxrss of a child spawned from this (large) Python process starts at this process's own
    RSS, which the kernel records at exec: use peak_rss() for memory."""
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
              (os.POSIX_SPAWN_DUP2, devnull, 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ, file_actions=fa)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter() - t0) * 1000
    finally:
        os.close(devnull)
    return wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def peak_rss(argv, env=None):
    """Peak RSS in MB of one run of argv, through /usr/bin/time (a small parent, so that the
    kernel's high-water mark is the program's own), or None."""
    if not os.path.exists("/usr/bin/time"):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as f:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, *argv], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=600)
        try:
            return int(f.read().split()[-1]) / 1024
        except (ValueError, IndexError):
            return None


def _stats(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)} if xs else None


def versus_pystack(pyhang_argv, pystack_argv, env, runs, warmup):
    """pyhang and PyStack, alternately, `runs` times each (which goes first alternates too)."""
    for _ in range(warmup):
        run_once(pyhang_argv)
        run_once(pystack_argv, env)
    ph, ps, ratios = [], [], []
    for i in range(runs):
        order = [0, 1] if i % 2 == 0 else [1, 0]
        got = {}
        for which in order:
            got[which] = run_once(pyhang_argv) if which == 0 else run_once(pystack_argv, env)
        ph.append(got[0][0])
        ps.append(got[1][0])
        ratios.append(got[1][0] / got[0][0])
    return {"pyhang_ms": _stats(ph), "pystack_ms": _stats(ps), "ratio": _stats(ratios),
            "pyhang_rss_mb": peak_rss(pyhang_argv), "pystack_rss_mb": peak_rss(pystack_argv, env)}


# A PyStack run slower than this (seconds) is reported once, without pairs: on Debian's stripped
# 3.14 it scans the heap for the interpreter, minutes for 100 threads.
SLOW_S = float(os.environ.get("PYHANG_BENCH_PYSTACK_SLOW", "30"))


def pystack_works(pystack_argv, env):
    """'' when PyStack printed a Python traceback for this target, else why not."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(pystack_argv, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.SubprocessError as e:
        return f"PyStack failed: {e}"
    took = time.perf_counter() - t0
    if "Traceback for thread" not in r.stdout:
        return f"PyStack printed no traceback (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-200:]}"
    if took > SLOW_S:
        return f"PyStack took {took:.0f} s for one run (over PYHANG_BENCH_PYSTACK_SLOW={SLOW_S:g} s): no pairs run"
    return ""


def _log(row, what, d):
    g = lambda k: (d.get(k) or {}).get("median")
    if "error" in d:
        msg = d["error"]
    elif what == "PyStack":
        msg = f"pyhang {g('pyhang_ms'):.1f} ms, PyStack {g('pystack_ms'):.1f} ms, ratio {g('ratio'):.1f}"
    else:
        msg = f"stop {g('pyhang_stop_ms'):.2f} ms, floor {g('floor_ms'):.2f} ms, ratio {g('ratio'):.1f}"
    print(f"bench: {row['scenario']} {row['interpreter']} vs {what}: {msg}", file=sys.stderr, flush=True)


def versus_floor(pyhang, floor, pid, extra, runs):
    """pyhang's stop_ms (from --json) and the floor's, alternately, on the same target."""
    ph, fl, ratios = [], [], []
    for i in range(runs):
        r = subprocess.run([pyhang, "remote", str(pid), *extra, "--json"], capture_output=True, text=True,
                           timeout=300)
        try:
            stops = [float(p["stop_ms"]) for p in json.loads(r.stdout).get("processes", []) if "stop_ms" in p]
        except ValueError:
            stops = []
        f = subprocess.run([floor, str(pid), "1"], capture_output=True, text=True, timeout=300)
        try:
            fms = float(f.stdout.split()[0])
        except (ValueError, IndexError):
            continue
        if not stops:
            continue
        ph.append(stops[0])
        fl.append(fms)
        ratios.append(stops[0] / fms)
    return {"pyhang_stop_ms": _stats(ph), "floor_ms": _stats(fl), "ratio": _stats(ratios)}


def _pairs(runs):
    v = os.environ.get("PYHANG_BENCH_PYSTACK_RUNS", "").strip()
    return int(v) if v else min(runs, 11)


def compare(row, pyhang, pid, scenario, extra, results_dir, runs, warmup, stop_runs):
    """Adds row['pystack'] and row['floor'] for a live target."""
    runs = _pairs(runs)
    ps = pystack()
    if ps and scenario in PYSTACK_ARGS:
        prefix, env = ps
        ps_argv = prefix + ["remote", str(pid)] + PYSTACK_ARGS[scenario]
        why = pystack_works(ps_argv, env)
        row["pystack"] = {"error": why} if why else versus_pystack(
            [pyhang, "remote", str(pid), *extra], ps_argv, env, runs, warmup)
        _log(row, "PyStack", row["pystack"])
    fb = floor_binary(results_dir)
    if fb and scenario in ("a", "b", "k"):
        row["floor"] = versus_floor(pyhang, fb, pid, extra, stop_runs)
        if row["floor"]["ratio"]:
            _log(row, "the floor", row["floor"])


def compare_core(row, pyhang, core, runs, warmup):
    ps = pystack()
    if not ps:
        return
    runs = _pairs(runs)
    prefix, env = ps
    ps_argv = prefix + ["core", str(core)]
    why = pystack_works(ps_argv, env)
    row["pystack"] = {"error": why} if why else versus_pystack([pyhang, "core", str(core)], ps_argv, env, runs,
                                                               warmup)
    _log(row, "PyStack", row["pystack"])


def print_table(rows):
    """The side-by-side table, when anything was compared."""
    rows = [r for r in rows if "pystack" in r or "floor" in r]
    if not rows:
        return
    f = lambda v, d=1: "-" if v is None else f"{v:.{d}f}"
    head = ["scenario", "interpreter", "pyhang ms", "PyStack ms", "PyStack/pyhang", "pyhang RSS MB",
            "PyStack RSS MB", "stop ms", "floor ms", "stop/floor"]
    table = []
    for r in rows:
        ps, fl = r.get("pystack") or {}, r.get("floor") or {}
        g = lambda d, k: (d.get(k) or {}).get("median")
        table.append([r["scenario"], r["interpreter"], f(g(ps, "pyhang_ms")), f(g(ps, "pystack_ms")) if "error" not in ps
                      else "failed", f(g(ps, "ratio")), f(ps.get("pyhang_rss_mb")), f(ps.get("pystack_rss_mb")),
                      f(g(fl, "pyhang_stop_ms"), 2), f(g(fl, "floor_ms"), 2), f(g(fl, "ratio"), 1)])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print("\nside by side (runs interleaved; ratios: median of the pair-by-pair ratios)")
    print(line(head))
    print(line(["-" * w for w in widths]))
    for t in table:
        print(line(t))
    for r in rows:
        if (r.get("pystack") or {}).get("error"):
            print(f"PyStack ({r['scenario']} {r['interpreter']}): {r['pystack']['error']}")
