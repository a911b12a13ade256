#!/bin/bash
# pyhang benchmark: wall time of the whole pyhang process (started fresh, median of repeated
# runs, hyperfine when installed) and how long the target was stopped, for
#   (a) tests/scenarios/threads_lock_order.py            pyhang remote PID
#   (b) bench/targets/deep_threads.py (100 x 50 frames)   pyhang remote PID
#   (c) a gcore of (b)                                     pyhang core CORE
#   (n) (a) with native stacks                   pyhang remote PID --native
#   (t) bench/targets/many_tasks.py (1000 asyncio tasks)  pyhang remote PID
#   (m) bench/targets/mp_lock_cycle3.py (parent + 3 children in a 3-lock cycle)  pyhang remote PID --children
#   (l) (a) with --locals; (k) 1000 threads x 10 frames
# and, side by side in the same run, PyStack (when built, bench/get-pystack.sh) and the stop floor
# (bench/stop_floor.c: seize, interrupt, wait and detach only) with pair-by-pair ratios,
# on every interpreter found, plus gdb's py-bt on Debian's /usr/bin/python3.11 for (a) and (b).
# Prints a table and which targets are missed; writes bench/results/latest.json. Reports only:
# the exit status is non-zero only when the bench itself cannot run.
#
# Environment (all optional):
#   PYHANG_BIN               pyhang binary (default build/pyhang; built if missing)
#   PYHANG_BENCH_PYTHONS     comma list of interpreter ids (3.8.18 ... 3.13.0, deb-3.11, deb-3.13,
#                            deb-3.14) or paths; default: all found
#   PYHANG_BENCH_SCENARIOS   comma list of a,l,b,c,n,t,m,k (default all); l is (a) with --locals,
#                            k is 1000 threads x 10 frames (for the stop floor)
#   PYHANG_BENCH_PYSTACK     directory bench/get-pystack.sh built: PyStack then runs on the same
#                            targets, interleaved with pyhang, and the ratios are printed;
#                            PYHANG_BENCH_PYSTACK_PYTHON (default /usr/bin/python3.11) runs it,
#                            PYHANG_BENCH_PYSTACK_RUNS pairs (default 11)
#   PYHANG_BENCH_FLOOR=0     skip the stop floor (bench/stop_floor.c, built with cc)
#   PYHANG_BENCH_RUNS        timed runs per measurement (default 30); PYHANG_BENCH_WARMUP (3)
#   PYHANG_BENCH_STOP_RUNS   runs for the stop-time median (default 15)
#   PYHANG_BENCH_GDB=0       skip gdb; PYHANG_BENCH_GDB_RUNS (default 3);
#                            PYHANG_BENCH_GDB_PYTHON interpreter id gdb is run against (deb-3.11)
#   PYHANG_BENCH_THREADS / PYHANG_BENCH_DEPTH   shape of (b) (default 100 / 50)
#   PYHANG_BENCH_TASKS       pending tasks of (t) (default 1000)
#   PYHANG_BENCH_RESULTS     results directory (default bench/results)
#   PYHANG_BENCH_NO_HYPERFINE=1   use the Python timing loop even if hyperfine is installed
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
repo=$(pwd -P)

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" != 0 ]; then
  echo "bench/run.sh: warning: not root and ptrace_scope != 0: attaching may be refused" >&2
fi

export PYHANG_BIN=${PYHANG_BIN:-$repo/build/pyhang}
if [ ! -x "$PYHANG_BIN" ]; then
  if [ "$PYHANG_BIN" = "$repo/build/pyhang" ]; then
    echo "bench/run.sh: building build/pyhang (RelWithDebInfo)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)" --target pyhang >/dev/null || {
      echo "bench/run.sh: build failed" >&2
      exit 2
    }
  else
    echo "bench/run.sh: PYHANG_BIN=$PYHANG_BIN is not executable" >&2
    exit 2
  fi
fi
if ! command -v hyperfine >/dev/null; then
  echo "bench/run.sh: hyperfine not installed (apt-get install -y hyperfine): using a Python timing loop" >&2
fi
if ! command -v gcore >/dev/null; then
  echo "bench/run.sh: gcore not installed (apt-get install -y gdb): scenario (c) and gdb are skipped" >&2
fi

py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
exec "$py" "$repo/bench/bench.py"
