"""What watching costs and how fast it reports: `pyhang run` around a busy program, and the time
from a hang to the report.

1. Slowdown. bench/targets/steady_work.py (4 threads, a shared lock, a fixed amount of work) runs
   alone and under `pyhang run` (default interval, with --idle, with a short interval),
   interleaved, RUNS times each. The target prints its own CPU and wall time; pyhang's CPU is
   what wait4() reports for the whole `pyhang run` minus the target's own (pyhang's start
   included). Slowdown = watched wall / plain wall - 1, pair by pair, median.
2. Time to report. bench/targets/hang_after.py prints the time at which it deadlocks (or, with
   `sleep`, starts sleeping for good); the time to report is the mtime of report.txt minus that.

Usage: python3 bench/watch_cost.py   (environment: PYHANG_BIN, default build/pyhang;
PYHANG_BENCH_PYTHON, default /usr/bin/python3.11; PYHANG_BENCH_RUNS, default 7;
PYHANG_BENCH_ROUNDS, the work per thread, default 800000). Prints a table; reports only.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYHANG = os.environ.get("PYHANG_BIN", str(ROOT / "build" / "pyhang"))
PYTHON = os.environ.get("PYHANG_BENCH_PYTHON", "/usr/bin/python3.11")
RUNS = int(os.environ.get("PYHANG_BENCH_RUNS", "7"))
ROUNDS = os.environ.get("PYHANG_BENCH_ROUNDS", "800000")


def run(argv, cwd=None):
    """(wall ms, user+sys ms of the process and its waited-for descendants, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    out = proc.stdout.read().decode(errors="replace")
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4 above: Popen must not wait for it again
    wall = (time.monotonic() - start) * 1000
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, out


def work_line(out):
    for line in out.splitlines():
        if line.startswith("WORK "):
            _, cpu, wall = line.split()
            return float(cpu), float(wall)
    raise RuntimeError("the target printed no WORK line: " + out[-300:])


def slowdown():
    target = [PYTHON, str(BENCH / "targets" / "steady_work.py"), ROUNDS]
    modes = {
        "plain": target,
        "run": [PYHANG, "run", "--", *target],
        "run --idle 1m": [PYHANG, "run", "--idle", "1m", "--", *target],
        "run --interval 0.2": [PYHANG, "run", "--interval", "0.2", "--", *target],
    }
    rows = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(RUNS):
            order = list(modes) if i % 2 == 0 else list(reversed(modes))
            for m in order:
                wall, cpu, out = run(modes[m], cwd=cwd)
                tcpu, twall = work_line(out)
                rows[m].append((twall, tcpu, cpu - tcpu, wall))
    print(f"Slowdown of a busy program ({PYTHON}, {RUNS} interleaved runs, medians):")
    print("| mode | target wall ms | target cpu ms | slowdown (wall, pair by pair) | pyhang cpu ms | pyhang cpu / target cpu |")
    print("|---|---|---|---|---|---|")
    for m, r in rows.items():
        twall = statistics.median(x[0] for x in r)
        tcpu = statistics.median(x[1] for x in r)
        if m == "plain":
            print(f"| {m} | {twall:.0f} | {tcpu:.0f} | | | |")
            continue
        slow = statistics.median(x[0] / p[0] - 1 for x, p in zip(r, rows["plain"]))
        own = statistics.median(x[2] for x in r)
        share = statistics.median(x[2] / x[1] for x in r)
        print(f"| {m} | {twall:.0f} | {tcpu:.0f} | {slow * 100:+.1f} % | {own:.1f} | {share * 100:.2f} % |")


def time_to_report():
    cases = {
        "deadlock, default interval": (["deadlock"], ["--on-hang", "kill"]),
        "deadlock, --interval 0.2": (["deadlock"], ["--on-hang", "kill", "--interval", "0.2"]),
        "sleep, --idle 2s": (["sleep"], ["--on-hang", "kill", "--idle", "2s"]),
    }
    print(f"\nTime from the hang to the report ({PYTHON}, {RUNS} runs, median [min-max]):")
    print("| case | seconds |")
    print("|---|---|")
    for name, (targs, pargs) in cases.items():
        delays = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as cwd:
                argv = [PYHANG, "run", *pargs, "--output", "out", "--",
                        PYTHON, str(BENCH / "targets" / "hang_after.py"), *targs]
                _, _, out = run(argv, cwd=cwd)
                hang = [float(line.split()[1]) for line in out.splitlines() if line.startswith("HANG ")]
                report = Path(cwd) / "out" / "report.txt"
                if not hang or not report.exists():
                    raise RuntimeError(f"{name}: no hang mark or no report: {out[-300:]}")
                delays.append(report.stat().st_mtime - hang[0])
        print(f"| {name} | {statistics.median(delays):.2f} [{min(delays):.2f}-{max(delays):.2f}] |")


if __name__ == "__main__":
    if not Path(PYHANG).exists():
        sys.exit(f"watch_cost.py: no pyhang binary at {PYHANG} (set PYHANG_BIN)")
    slowdown()
    time_to_report()
