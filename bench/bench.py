#!/usr/bin/env python3
"""pyhang benchmark driver (run it through bench/run.sh; see bench/README.md).

Scenarios, for every selected interpreter:
  a  tests/scenarios/threads_lock_order.py, `pyhang remote PID`   (also gdb py-bt on Debian 3.11)
  b  bench/targets/deep_threads.py (100 threads x 50 frames), `pyhang remote PID`  (also gdb)
  c  `pyhang core CORE` on a gcore of (b), made once per interpreter by this script
  n  (a) with --native: native stacks merged in, `pyhang remote PID --native`
  t  bench/targets/many_tasks.py (1000 pending asyncio tasks), `pyhang remote PID`
  l  (a) with --locals
  k  bench/targets/deep_threads.py with 1000 threads x 10 frames (the stop of many threads)
With PYHANG_BENCH_PYSTACK set, PyStack runs on the same targets, interleaved with pyhang, and
pyhang's stop time is compared with the floor (bench/stop_floor.c); see side_by_side.py.
Reports the median wall time of the whole pyhang process, started fresh each run (hyperfine if
installed, else a timing loop), and the median time the target was stopped (JSON stop_ms).
Only reports: missed targets are listed, the exit status is 0 unless the bench itself failed.
"""
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import side_by_side

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# Targets set by the project, and PyStack / gdb reference numbers (README.md).
TARGETS = {  # scenario: (wall ms, stop ms or None)
    "a": (5.0, 2.0),
    "b": (40.0, None),
    "c": (150.0, None),
    "n": (30.0, None),   # --native
    "t": (30.0, None),   # 1000 asyncio tasks
    "m": (15.0, None),   # four processes in a lock-order cycle, --children
    "l": (None, None),   # (a) with --locals: compared with PyStack only
    "k": (None, None),   # 1000 threads: compared with the floor only
}
DESCRIPTIONS = {
    "a": "threads_lock_order (remote)",
    "b": "100 threads x 50 frames (remote)",
    "c": "core of (b)",
    "n": "threads_lock_order --native (remote)",
    "t": "1000 asyncio tasks (remote)",
    "m": "4-process lock-order cycle --children (remote)",
    "l": "threads_lock_order --locals (remote)",
    "k": "1000 threads x 10 frames (remote)",
}


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


RUNS = env_int("PYHANG_BENCH_RUNS", 30)
LOAD_AT_START = os.getloadavg()
WARMUP = env_int("PYHANG_BENCH_WARMUP", 3)
STOP_RUNS = env_int("PYHANG_BENCH_STOP_RUNS", 15)
GDB_RUNS = env_int("PYHANG_BENCH_GDB_RUNS", 3)
THREADS = env_int("PYHANG_BENCH_THREADS", 100)
DEPTH = env_int("PYHANG_BENCH_DEPTH", 50)
TASKS = env_int("PYHANG_BENCH_TASKS", 1000)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- interpreters --------------------------------------------------------------------------------

def interpreters():
    """[(id, path)] of the interpreters that exist, selected by PYHANG_BENCH_PYTHONS."""
    found = []
    pyenv = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
    if pyenv.is_dir():
        for d in sorted(pyenv.iterdir(), key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")]):
            exe = d / "bin" / "python3"
            parts = d.name.split(".")
            if exe.exists() and len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= 8:
                found.append((d.name, exe))
    if Path("/usr/bin/python3.11").exists():
        found.append(("deb-3.11", Path("/usr/bin/python3.11")))
    cache = Path(os.environ.get("PYHANG_PYTHONS", str(Path.home() / ".cache" / "pyhang-pythons")))
    for sub, exe, vid in (("trixie313", "python3.13", "deb-3.13"), ("sid314", "python3.14", "deb-3.14")):
        p = cache / sub / "usr" / "bin" / exe
        if p.exists():
            found.append((vid, p))
    sel = [s.strip() for s in os.environ.get("PYHANG_BENCH_PYTHONS", "").split(",") if s.strip()]
    if not sel:
        return found
    out = []
    for s in sel:
        match = [f for f in found if f[0] == s]
        if match:
            out.extend(match)
        elif Path(s).exists():
            out.append((s, Path(s)))
        else:
            log(f"bench: PYHANG_BENCH_PYTHONS: unknown interpreter {s!r} (known: {', '.join(f[0] for f in found)})")
    return out


# ---- hung targets --------------------------------------------------------------------------------

def all_asleep(pid):
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in ("S", "D"):
                    return False
        return True
    except OSError:
        return False


class Hung:
    def __init__(self, python, argv, timeout=60):
        self.proc = subprocess.Popen([str(python)] + [str(a) for a in argv], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     start_new_session=True, text=True)
        deadline = time.time() + timeout
        self.pid = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("READY"):
                self.pid = int(line.split()[1])
                break
        if self.pid is None:
            self.close()
            raise RuntimeError(f"{argv[0]} under {python} did not print READY")
        while time.time() < deadline and not all_asleep(self.pid):
            time.sleep(0.05)
        time.sleep(0.2)

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- timing --------------------------------------------------------------------------------------

def time_command(argv, runs, warmup, json_out):
    """Median/mean/min/max wall ms of running argv fresh each time (exit status ignored)."""
    if shutil.which("hyperfine") and os.environ.get("PYHANG_BENCH_NO_HYPERFINE", "") in ("", "0"):
        cmd = " ".join(_quote(a) for a in argv)
        r = subprocess.run(["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                            "--export-json", str(json_out), cmd], capture_output=True, text=True)
        if r.returncode == 0:
            res = json.loads(Path(json_out).read_text())["results"][0]
            times = [t * 1000 for t in res["times"]]
            out = summary(times, "hyperfine")
            out["cpu_ms"] = (res.get("user", 0) + res.get("system", 0)) * 1000  # mean user+sys
            return out
        log(f"bench: hyperfine failed ({r.stderr.strip()[-300:]}); using a timing loop")
    for _ in range(warmup):
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = summary(times, "loop")
    out["cpu_ms"] = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1000 / runs
    return out


def _quote(a):
    a = str(a)
    return a if a and all(c.isalnum() or c in "/._-=+:," for c in a) else "'" + a.replace("'", "'\\''") + "'"


def summary(times, how):
    return {"median_ms": statistics.median(times), "mean_ms": statistics.mean(times), "min_ms": min(times),
            "max_ms": max(times), "stddev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
            "runs": len(times), "method": how}


def pyhang_json(pyhang, args):
    r = subprocess.run([pyhang] + args + ["--json"], capture_output=True, text=True, timeout=300)
    try:
        return json.loads(r.stdout), r.returncode, r.stderr
    except ValueError:
        return None, r.returncode, r.stderr


def describe(report):
    """'101 threads, 5050 frames, deadlock' from a pyhang JSON report."""
    if not report:
        return "no report"
    threads = frames = 0
    for p in report.get("processes", []):
        threads += len(p.get("threads", []))
        frames += sum(len(t.get("frames", [])) for t in p.get("threads", []))
    verdict = (report.get("diagnosis") or {}).get("verdict", "?")
    tasks = sum(len(p.get("tasks", [])) for p in report.get("processes", []))
    return f"{threads} threads, {frames} frames, " + (f"{tasks} tasks, " if tasks else "") + verdict


def stop_times(pyhang, pid, runs):
    stops = []
    for _ in range(runs):
        report, _, _ = pyhang_json(pyhang, ["remote", str(pid)])
        if report:
            for p in report.get("processes", []):
                if "stop_ms" in p:
                    stops.append(float(p["stop_ms"]))
    return statistics.median(stops) if stops else None


def gdb_time(pid, runs):
    """Median ms of `gdb -p PID -batch -ex 'thread apply all py-bt'`, and whether it printed stacks."""
    if not shutil.which("gdb"):
        return None, "gdb not installed"
    times, ok = [], False
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-iex", "set debuginfod enabled off",
                            "-iex", "set auto-load safe-path /", "-ex", "thread apply all py-bt"],
                           capture_output=True, text=True, timeout=600)
        times.append((time.perf_counter() - t0) * 1000)
        ok = ok or ("Traceback (most recent call first)" in r.stdout and "File " in r.stdout)
    if not ok:
        return statistics.median(times), "py-bt printed no Python frames (python3.11-dbg missing?)"
    return statistics.median(times), ""


# ---- main ----------------------------------------------------------------------------------------

def main():
    pyhang = os.environ.get("PYHANG_BIN") or str(REPO / "build" / "pyhang")
    if not (os.path.isfile(pyhang) and os.access(pyhang, os.X_OK)):
        log(f"bench: pyhang not found at {pyhang}: build it (cmake -B build && cmake --build build -j2) or set PYHANG_BIN")
        return 2
    scenarios = [s for s in os.environ.get("PYHANG_BENCH_SCENARIOS", "a,l,b,c,n,t,m,k").split(",") if s in TARGETS]
    use_gdb = os.environ.get("PYHANG_BENCH_GDB", "1") not in ("0", "")
    gdb_interp = os.environ.get("PYHANG_BENCH_GDB_PYTHON", "deb-3.11")
    interps = interpreters()
    if not interps:
        log("bench: no interpreter selected")
        return 2
    results_dir = Path(os.environ.get("PYHANG_BENCH_RESULTS", str(BENCH / "results")))
    results_dir.mkdir(parents=True, exist_ok=True)
    raw_dir = results_dir / "hyperfine"
    raw_dir.mkdir(exist_ok=True)
    lock_order = REPO / "tests" / "scenarios" / "threads_lock_order.py"
    deep = BENCH / "targets" / "deep_threads.py"
    many_tasks = BENCH / "targets" / "many_tasks.py"
    rows = []
    if LOAD_AT_START[0] > 0.5 * (os.cpu_count() or 1):
        log(f"bench: warning: the machine is busy (load average {LOAD_AT_START[0]:.1f} on {os.cpu_count()} CPUs): "
            "numbers will be noisy")
    log(f"bench: pyhang {pyhang}; scenarios {','.join(scenarios)}; {len(interps)} interpreters; "
        f"{RUNS} runs (+{WARMUP} warmup), stop time over {STOP_RUNS} runs")
    for vid, python in interps:
        for sc in scenarios:
            if sc in ("c", "n"):
                continue
            argv = {"a": [lock_order], "l": [lock_order], "b": [deep, THREADS, DEPTH], "t": [many_tasks, TASKS],
                    "m": [BENCH / "targets" / "mp_lock_cycle3.py"], "k": [deep, 1000, 10]}[sc]
            extra = {"m": ["--children"], "l": ["--locals"]}.get(sc, [])
            row = {"scenario": sc, "description": DESCRIPTIONS[sc], "interpreter": vid, "python": str(python)}
            try:
                with Hung(python, argv) as h:
                    report, rc, err = pyhang_json(pyhang, ["remote", str(h.pid), *extra])
                    row["read"] = describe(report)
                    if report is None:
                        row["error"] = f"pyhang failed (exit {rc}): {err.strip()[-300:]}"
                    else:
                        row["wall"] = time_command([pyhang, "remote", str(h.pid), *extra], RUNS, WARMUP,
                                                   raw_dir / f"{sc}-{vid}.json")
                        row["stop_ms"] = stop_times(pyhang, h.pid, STOP_RUNS)
                        side_by_side.compare(row, pyhang, h.pid, sc, extra, results_dir, RUNS, WARMUP, STOP_RUNS)
                    if use_gdb and vid == gdb_interp and sc in ("a", "b"):
                        row["gdb_ms"], why = gdb_time(h.pid, GDB_RUNS)
                        if why:
                            row["gdb_note"] = why
                    if sc == "b" and "c" in scenarios:
                        rows.append(core_row(pyhang, vid, python, h.pid, raw_dir))
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                row["error"] = str(e)
            log(f"bench: {sc} {vid}: {fmt_ms(row.get('wall', {}).get('median_ms'))} ms "
                f"(stop {fmt_ms(row.get('stop_ms'))} ms) {row.get('read', row.get('error', ''))}")
            rows.append(row)
    # --- (n) scenario (a) with --native ---
    if "n" in scenarios:
        for vid, python in interps:
            rows.append(native_row(pyhang, vid, python, lock_order, raw_dir))
    # --- end (n) ---
    # Scenario (c) without (b): its own target run.
    if "c" in scenarios and "b" not in scenarios:
        for vid, python in interps:
            try:
                with Hung(python, [deep, THREADS, DEPTH]) as h:
                    rows.append(core_row(pyhang, vid, python, h.pid, raw_dir))
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                rows.append({"scenario": "c", "description": DESCRIPTIONS["c"], "interpreter": vid, "error": str(e)})
    order = {s: i for i, s in enumerate("alnbkctm")}
    rows.sort(key=lambda r: (order[r["scenario"]], [i for i, x in enumerate(interps) if x[0] == r["interpreter"]]))
    missed = evaluate(rows)
    print_table(rows, missed)
    side_by_side.print_table(rows)
    out = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"machine": platform.machine(), "kernel": platform.release(), "cpus": os.cpu_count(),
                 "cpu": cpu_model(), "loadavg_at_start": LOAD_AT_START, "loadavg_at_end": os.getloadavg()},
        "pyhang": pyhang, "pyhang_version": version_of(pyhang), "git": git_rev(),
        "settings": {"runs": RUNS, "warmup": WARMUP, "stop_runs": STOP_RUNS, "gdb_runs": GDB_RUNS,
                     "threads": THREADS, "depth": DEPTH, "tasks": TASKS},
        "targets": {k: {"wall_ms": v[0], "stop_ms": v[1]} for k, v in TARGETS.items()},
        "reference": {"pystack_1.7_ms": {"a": "80-110", "b": 650}, "gdb_ms": {"a": 1500}},
        "results": rows,
        "missed": missed,
    }
    (results_dir / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nresults: {results_dir / 'latest.json'}")
    return 0


# --- (n) --native -------------------------------------------------------------------
def native_row(pyhang, vid, python, script, raw_dir):
    """Scenario (n): (a) read with --native (a first run fills pyhang's debug-info cache)."""
    row = {"scenario": "n", "description": DESCRIPTIONS["n"], "interpreter": vid, "python": str(python)}
    try:
        with Hung(python, [script]) as h:
            report, rc, err = pyhang_json(pyhang, ["remote", str(h.pid), "--native"])
            row["read"] = describe(report)
            if report is None:
                row["error"] = f"pyhang failed (exit {rc}): {err.strip()[-300:]}"
            else:
                row["wall"] = time_command([pyhang, "remote", str(h.pid), "--native"], RUNS, WARMUP,
                                           raw_dir / f"n-{vid}.json")
                stops = []
                for _ in range(STOP_RUNS):
                    rep, _, _ = pyhang_json(pyhang, ["remote", str(h.pid), "--native"])
                    stops += [float(p["stop_ms"]) for p in (rep or {}).get("processes", []) if "stop_ms" in p]
                row["stop_ms"] = statistics.median(stops) if stops else None
                side_by_side.compare(row, pyhang, h.pid, "n", ["--native"], raw_dir.parent, RUNS, WARMUP, STOP_RUNS)
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        row["error"] = str(e)
    log(f"bench: n {vid}: {fmt_ms(row.get('wall', {}).get('median_ms'))} ms "
        f"(stop {fmt_ms(row.get('stop_ms'))} ms) {row.get('read', row.get('error', ''))}")
    return row
# --- end (n) ---------------------------------------------------------------------------------


def core_row(pyhang, vid, python, pid, raw_dir):
    row = {"scenario": "c", "description": DESCRIPTIONS["c"], "interpreter": vid, "python": str(python)}
    if not shutil.which("gcore"):
        row["error"] = "gcore not installed (apt-get install gdb)"
        return row
    with tempfile.TemporaryDirectory(prefix="pyhang-bench-") as tmp:
        r = subprocess.run(["gcore", "-o", f"{tmp}/core", str(pid)], capture_output=True, text=True, timeout=600)
        core = Path(f"{tmp}/core.{pid}")
        if not core.exists():
            row["error"] = f"gcore failed: {r.stderr.strip()[-300:]}"
            return row
        row["core_mb"] = round(core.stat().st_size / 1e6, 1)
        report, rc, err = pyhang_json(pyhang, ["core", str(core)])
        row["read"] = describe(report)
        if report is None:
            row["error"] = f"pyhang core failed (exit {rc}): {err.strip()[-300:]}"
            return row
        row["wall"] = time_command([pyhang, "core", str(core)], RUNS, WARMUP, raw_dir / f"c-{vid}.json")
        side_by_side.compare_core(row, pyhang, core, RUNS, WARMUP)
    log(f"bench: c {vid}: {fmt_ms(row['wall']['median_ms'])} ms ({row['core_mb']} MB core) {row['read']}")
    return row


def evaluate(rows):
    missed = []
    for r in rows:
        wall_t, stop_t = TARGETS[r["scenario"]]
        r["target"] = (f"<{wall_t:g} ms" if wall_t else "-") + (f", stop <{stop_t:g} ms" if stop_t else "")
        problems = []
        wall = r.get("wall", {}).get("median_ms")
        if "error" in r:
            problems.append(r["error"])
        if wall is not None and wall_t and wall >= wall_t:
            problems.append(f"wall {wall:.1f} ms >= {wall_t:g} ms")
        if stop_t and r.get("stop_ms") is not None and r["stop_ms"] >= stop_t:
            problems.append(f"stop {r['stop_ms']:.2f} ms >= {stop_t:g} ms")
        r["met"] = not problems
        if problems:
            missed.append({"scenario": r["scenario"], "interpreter": r["interpreter"], "problems": problems})
    return missed


def fmt_ms(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def print_table(rows, missed):
    head = ["scenario", "interpreter", "pyhang median ms", "cpu ms", "stop ms", "gdb ms", "target", "met",
            "what was read"]
    table = []
    for r in rows:
        table.append([f"{r['scenario']} {r['description']}", r["interpreter"],
                      fmt_ms(r.get("wall", {}).get("median_ms"), 2), fmt_ms(r.get("wall", {}).get("cpu_ms"), 1),
                      fmt_ms(r.get("stop_ms"), 3),
                      fmt_ms(r.get("gdb_ms"), 0) + (" (!)" if r.get("gdb_note") else ""), r["target"],
                      "yes" if r["met"] else "NO", r.get("read", r.get("error", ""))[:60]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(head))
    print(line(["-" * w for w in widths]))
    for t in table:
        print(line(t))
    print("\nreference (given by the project): PyStack 1.7 ~80-110 ms for (a), ~650 ms for (b); gdb ~1.5 s for (a); "
          "PyStack is the comparison for (t) (no number given)")
    if any(r.get("gdb_note") for r in rows):
        for r in rows:
            if r.get("gdb_note"):
                print(f"gdb note ({r['scenario']} {r['interpreter']}): {r['gdb_note']}")
    if missed:
        print(f"\ntargets missed ({len(missed)}):")
        for m in missed:
            print(f"  {m['scenario']} {m['interpreter']}: {'; '.join(m['problems'])}")
    else:
        print("\nall targets met")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def version_of(pyhang):
    try:
        return subprocess.run([pyhang, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def git_rev():
    try:
        r = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                           timeout=10)
        return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
