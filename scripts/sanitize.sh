#!/bin/bash
# AddressSanitizer + UBSan over pyhang itself: builds the CLI and the unit tests in the fuzzers'
# build directory (build-fuzz/, clang), whose library fuzz/run.sh has already compiled with
# -fsanitize=address,undefined, so that only main.cpp and the unit tests are compiled here. Then
# runs the unit tests and a short integration subset on one interpreter: a thread lock-order
# deadlock live and from a core, a multiprocessing one with --children, an asyncio one (live and
# core), the terminal-escaping and decompression-bomb tests, and a signal test (Ctrl-Z).
# Any sanitizer report aborts the process, which fails the test that ran it.
#
# Usage: scripts/sanitize.sh [PYTEST_ARGS...]
# Environment:
#   PYHANG_FUZZ_BUILD        build directory (default <repo>/build-fuzz; shared with fuzz/run.sh)
#   PYHANG_SANITIZE_PYTHON   interpreter id for the integration subset (default 3.12.1)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
repo=$(pwd -P)
build=${PYHANG_FUZZ_BUILD:-$repo/build-fuzz}
cxx=${CXX:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "sanitize.sh: $cxx not found (apt-get install clang)" >&2
  exit 1
fi

# ---- build ---------------------------------------------------------------------------------------
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
configure=()
if [ ! -f "$build/CMakeCache.txt" ]; then
  configure=(-DPYHANG_FUZZ=ON -DPYHANG_TESTS=ON "${launcher[@]}")
elif ! grep -q '^PYHANG_TESTS:BOOL=ON' "$build/CMakeCache.txt"; then
  configure=(-DPYHANG_TESTS=ON)  # nothing else changes: the compiled library is kept
fi
if [ ${#configure[@]} -gt 0 ]; then
  echo "sanitize.sh: configuring $build"
  CC=${CC:-clang} CXX=$cxx cmake -S . -B "$build" "${configure[@]}" >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log" >&2; echo "sanitize.sh: configure failed" >&2; exit 1; }
  rm -f "$build.configure.log"
fi
start=$SECONDS
echo "sanitize.sh: building the sanitized pyhang and unit tests in $build"
if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target pyhang pyhang_unit_tests >"$build/sanitize-build.log" 2>&1; then
  grep -E "error|Error" "$build/sanitize-build.log" | head -30 >&2
  echo "sanitize.sh: build failed (full log: $build/sanitize-build.log)" >&2
  exit 1
fi
echo "sanitize.sh: built in $((SECONDS - start))s"

# ---- run -----------------------------------------------------------------------------------------
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1
failed=0
start=$SECONDS
echo
echo "==> unit tests under ASan/UBSan"
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 "$build/pyhang_unit_tests" --gtest_brief=1 || failed=1
echo "sanitize.sh: unit tests took $((SECONDS - start))s"

start=$SECONDS
echo
echo "==> integration subset under ASan/UBSan (PYHANG_BIN=$build/pyhang)"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
# pyhang leaves with _exit() once the report is written: nothing for LeakSanitizer to look at.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 PYHANG_BIN=$build/pyhang \
  PYHANG_PYTHONS_ONLY=${PYHANG_SANITIZE_PYTHON:-3.12.1} \
  "$py" -m pytest -q -p no:cacheprovider \
  "tests/integration/test_diagnosis.py::test_seed_threads_lock_order" \
  "tests/integration/test_multiprocess.py::test_mp_lock_order" \
  "tests/integration/test_asyncio.py::test_seed_asyncio_lock_twice" \
  "tests/integration/test_terminal_safety.py" \
  "tests/integration/test_core_bombs.py" \
  "tests/integration/test_harmless.py::test_suspending_pyhang_resumes_the_target_first" \
  "$@" || failed=1
echo "sanitize.sh: integration subset took $((SECONDS - start))s"
[ "$failed" -eq 0 ] && echo "sanitize.sh: no sanitizer report" || echo "sanitize.sh: FAILED"
exit "$failed"
