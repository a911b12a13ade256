#!/bin/bash
# Demo: build pyhang, start a program that deadlocks (two threads taking two locks in opposite
# order, run by Debian's /usr/bin/python3), and let pyhang explain the hang.
#
# Usage: scripts/demo.sh [PYHANG_OPTIONS...]   (extra options go to `pyhang remote PID`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "demo: $*" >&2; }

say "installing build dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh
say "building (cmake -B build && cmake --build build -j2)"
log=$(mktemp)
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  say "build failed"
  exit 1
fi
rm -f "$log"

python=/usr/bin/python3
example=tests/scenarios/threads_lock_order.py
out=$(mktemp)
pid=
pgid=
own_pgid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f3)
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [ -n "$pgid" ] && [ "$pgid" != "$own_pgid" ]; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "$out"
}
trap cleanup EXIT

say "starting $python $example (it deadlocks on purpose)"
# setsid: its own session and process group (pgid = its pid), so the whole group can be killed.
setsid "$python" "$example" >"$out" 2>&1 </dev/null &
pid=$!
pgid=$pid

# Wait for "READY <pid>", then until every thread of the process sleeps (state S).
ready=
for _ in $(seq 300); do
  ready=$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$out" | head -1)
  [ -n "$ready" ] && break
  kill -0 "$pid" 2>/dev/null || { say "the example exited early:"; cat "$out" >&2; exit 1; }
  sleep 0.1
done
[ -n "$ready" ] || { say "the example never printed READY:"; cat "$out" >&2; exit 1; }
pgid=$(sed 's/.*) //' "/proc/$ready/stat" | cut -d' ' -f3)   # field 5: process group
for _ in $(seq 300); do
  asleep=1
  for stat in /proc/"$ready"/task/*/stat; do
    state=$(sed 's/.*) //' "$stat" 2>/dev/null | cut -d' ' -f1)
    [ "$state" = S ] || { asleep=0; break; }
  done
  [ "$asleep" = 1 ] && break
  sleep 0.1
done
[ "$asleep" = 1 ] || { say "the example's threads did not all fall asleep"; exit 1; }
sed 's/^/  | /' "$out"

say "running: build/pyhang remote $ready $*"
set +e
build/pyhang remote "$ready" "$@"
rc=$?
set -e
say "pyhang exited with status $rc"
# 0, 1 and 2 are verdicts (no hang found / hang diagnosed / ...); anything else is an error.
if [ "$rc" -le 2 ]; then exit 0; fi
exit "$rc"
