#!/bin/bash
# The project's test command: installs what is missing, provisions the Debian-packaged
# interpreters, builds (RelWithDebInfo, build/), runs the unit tests (ctest), the fuzzers briefly
# (fuzz/run.sh, if present and executable), the unit tests and an integration subset under
# ASan/UBSan (scripts/sanitize.sh, reusing the fuzzers' sanitized library) and the integration
# tests (pytest, all interpreters).
#
# Usage: scripts/test.sh [PYTEST_ARGS...]     e.g. scripts/test.sh -k threads -x
# Environment: PYHANG_PYTHONS (cache of the Debian interpreters, default ~/.cache/pyhang-pythons),
#   PYHANG_PYTHONS_ONLY / PYHANG_ALLOW_MISSING_PYTHONS (see tests/integration/conftest.py),
#   PYHANG_PYTEST_TIMEOUT (seconds for the whole pytest run, default 5100: in one process the suite took 41 to 69 minutes on a 2-core machine, and the other stages about 3 to 10; CI stops at 90),
#   PYHANG_TEST_WORKERS (pytest-xdist workers for the integration tests, default: the number of CPUs; 0: none).
# Exit status: 0 only if every stage passed. The last line printed is pytest's own summary line.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
repo=$(pwd -P)
exec </dev/null

summary=()
failed=0
stage_start=0
begin() { echo; echo "==> $1"; stage_start=$SECONDS; }
record() { # name rc [note]
  local name=$1 rc=$2 note=${3:-} took=$((SECONDS - stage_start))
  if [ "$rc" -eq 0 ]; then
    summary+=("$(printf '  %-20s ok      %4ss %s' "$name" "$took" "$note")")
  else
    summary+=("$(printf '  %-20s FAILED  %4ss exit %s %s' "$name" "$took" "$rc" "$note")")
    failed=1
  fi
}
last_line=
finish() {
  echo
  echo "==> summary (scripts/test.sh, ${SECONDS}s in all)"
  printf '%s\n' "${summary[@]}"
  if [ "$failed" -eq 0 ]; then echo "test.sh: all stages passed"; else echo "test.sh: FAILED"; fi
  # Keep the test runner's closing line last, for whoever reads the end of the log.
  [ -n "$last_line" ] && echo "$last_line"
  exit "$failed"
}
fatal_if_failed() { [ "$failed" -eq 0 ] || finish; }

# 1. Debian packages
begin "install dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh; record "dependencies" $?
fatal_if_failed

# 2. The Debian 3.13 / 3.14 / 3.15 interpreters (pyenv builds are expected on the machine)
begin "interpreters (scripts/get-pythons.sh)"
export PYHANG_PYTHONS=${PYHANG_PYTHONS:-$HOME/.cache/pyhang-pythons}
bash scripts/get-pythons.sh; record "interpreters" $?
fatal_if_failed

# 3. Build. With ccache (installed by install-deps.sh), the three trees this script builds (build/,
#    the fuzzers' and the sanitizers') reuse what any clone compiled before: paths are made
#    relative to the clone (CCACHE_BASEDIR) and the directory is not hashed (CCACHE_NOHASHDIR), so
#    a fresh clone of a commit built before compiles almost nothing. A cold cache only costs the
#    full build (about 5 minutes for build/ on 2 cores).
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$repo CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
begin "configure and build (build/, RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" && cmake --build build -j2
rc=$?
record "build" $rc
fatal_if_failed

# 4. Unit tests
begin "unit tests (ctest)"
(cd build && ctest --output-on-failure --no-tests=error --timeout 300 -j2); record "unit tests" $?

# 5. Fuzzers, briefly
if [ -x fuzz/run.sh ]; then
  begin "fuzzers (fuzz/run.sh)"
  fuzz/run.sh; record "fuzzers" $?
fi

# 6. AddressSanitizer + UBSan: the unit tests and a short integration subset, with the fuzzers'
#    sanitized library (a few minutes)
if [ -x scripts/sanitize.sh ] && command -v clang++ >/dev/null; then
  begin "sanitizers (scripts/sanitize.sh)"
  scripts/sanitize.sh; record "sanitizers" $?
fi

# 7. Integration tests
begin "integration tests (pytest tests/integration)"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
args=(-m pytest -q -p no:cacheprovider)
if "$py" -c 'import pytest_timeout' 2>/dev/null; then
  args+=(--timeout=120)
else
  echo "test.sh: pytest-timeout is not installed: no per-test timeout" >&2
fi
# pytest-xdist: one worker per core (PYHANG_TEST_WORKERS; 0 runs in this process). loadgroup
# keeps one file's tests on one interpreter together (conftest.py), so each target is made once.
workers=${PYHANG_TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}
if [ "$workers" != 0 ] && "$py" -c 'import xdist' 2>/dev/null; then
  args+=(-n "$workers" --dist loadgroup)
fi
export PYHANG_BIN=$repo/build/pyhang
log=$(mktemp)
timeout --kill-after=30 "${PYHANG_PYTEST_TIMEOUT:-5100}" "$py" "${args[@]}" tests/integration "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last_line=$(grep -v '^[[:space:]]*$' "$log" | tail -1)
rm -f "$log"
case $rc in
  0) record "integration tests" 0 ;;
  5) record "integration tests" 5 "(no tests were collected)" ;;
  124|137) record "integration tests" "$rc" "(pytest ran out of time: ${PYHANG_PYTEST_TIMEOUT:-5100}s)" ;;
  *) record "integration tests" "$rc" ;;
esac
finish
