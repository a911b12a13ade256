#!/bin/bash
# Builds the libFuzzer targets (build-fuzz/, clang, -DPYHANG_FUZZ=ON) and runs each for a bounded
# time on a throw-away copy of its committed seed corpus (fuzz/corpus/<name>/), so CI never grows
# the corpus. Exits non-zero if any fuzzer finds a crash, a sanitizer error (ASan, UBSan: halts on
# the first report), a leak, a timeout (-timeout=10 s per input) or an out-of-memory
# (-rss_limit_mb=2048), or if the build fails; the reproducer is kept under fuzz/crashes/<name>/
# and its path printed, with the command that replays it.
#
# Usage: fuzz/run.sh [NAME...]            e.g. fuzz/run.sh fuzz_linetable
# Environment:
#   PYHANG_FUZZ_SECONDS  seconds per fuzzer (default 20; 0 = only replay the seeds once)
#   PYHANG_FUZZ_BUILD    build directory (default <repo>/build-fuzz; reused when configured)
#   PYHANG_FUZZ_ARGS     extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-seed=1"
#   PYHANG_FUZZ_KEEP=1   keep the working corpora (printed), e.g. to merge new inputs by hand
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
repo=$(pwd -P)
seconds=${PYHANG_FUZZ_SECONDS:-20}
build=${PYHANG_FUZZ_BUILD:-$repo/build-fuzz}
crashes=$repo/fuzz/crashes

case $seconds in
  ''|*[!0-9]*) echo "fuzz/run.sh: PYHANG_FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2; exit 2 ;;
esac

# Fuzzers: every fuzz/fuzz_*.cpp (what CMakeLists.txt builds), or the names given.
if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for src in fuzz/fuzz_*.cpp; do names+=("$(basename "$src" .cpp)"); done
fi
[ ${#names[@]} -gt 0 ] || { echo "fuzz/run.sh: no fuzzers (fuzz/fuzz_*.cpp)" >&2; exit 2; }

# ---- build ---------------------------------------------------------------------------------------
cc=${CC:-clang}
cxx=${CXX:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz/run.sh: $cxx not found; libFuzzer needs clang (apt-get install clang)" >&2
  exit 1
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "fuzz/run.sh: configuring $build"
  # Unit tests on: scripts/sanitize.sh builds the sanitized CLI and unit tests from the same library.
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=$cc CXX=$cxx cmake -S . -B "$build" -DPYHANG_FUZZ=ON -DPYHANG_TESTS=ON "${launcher[@]}" >"$build.configure.log" 2>&1 || {
    cat "$build.configure.log" >&2
    echo "fuzz/run.sh: configuring $build failed" >&2
    exit 1
  }
  rm -f "$build.configure.log"
fi
# Only the fuzz targets here (scripts/sanitize.sh builds the sanitized CLI and unit tests).
echo "fuzz/run.sh: building ${names[*]} in $build"
if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target "${names[@]}" >"$build/fuzz-build.log" 2>&1; then
  grep -E "error|Error" "$build/fuzz-build.log" | head -30 >&2
  echo "fuzz/run.sh: build failed (full log: $build/fuzz-build.log)" >&2
  exit 1
fi

# ---- run -----------------------------------------------------------------------------------------
# UBSan reports are errors, not warnings; ASan reports leaks (libFuzzer enables -detect_leaks).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
work_root=$(mktemp -d "${TMPDIR:-/tmp}/pyhang-fuzz.XXXXXX")
cleanup() { [ "${PYHANG_FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work_root"; }
trap cleanup EXIT

failed=0
rows=()
for name in "${names[@]}"; do
  bin=$build/$name
  short=${name#fuzz_}
  seeds=$repo/fuzz/corpus/$short
  work=$work_root/$short
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  nseeds=0
  if [ -d "$seeds" ]; then
    cp -r "$seeds/." "$work/corpus/"
    nseeds=$(find "$seeds" -type f | wc -l)
  fi
  dict=()
  [ -f "$repo/fuzz/$short.dict" ] && dict=(-dict="$repo/fuzz/$short.dict")
  echo
  echo "==> $name: ${seconds}s, $nseeds seeds from fuzz/corpus/$short"
  log=$work/log
  budget=(-max_total_time="$seconds")
  [ "$seconds" -eq 0 ] && budget=(-runs=0)  # libFuzzer reads -max_total_time=0 as "no limit"
  # shellcheck disable=SC2086
  TMPDIR=$work/tmp timeout --kill-after=30 $((seconds + 300)) "$bin" \
    "${budget[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "${dict[@]}" ${PYHANG_FUZZ_ARGS:-} "$work/corpus" >"$log" 2>&1
  rc=$?
  stats=$(grep -E "^#[0-9]+.*(DONE|cov:)" "$log" | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$stats" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$stats" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  status=ok
  if [ "$rc" -ne 0 ]; then
    failed=1
    status="FAILED (exit $rc)"
    mkdir -p "$crashes/$short"
    found=0
    for a in "$work/artifacts"/*; do
      [ -f "$a" ] || continue
      dest=$crashes/$short/$(basename "$a")
      cp "$a" "$dest"
      cp "$log" "$dest.log"
      found=1
      echo "fuzz/run.sh: $name: reproducer: $dest"
      echo "fuzz/run.sh:   replay: $bin $dest"
    done
    [ "$found" -eq 1 ] || { cp "$log" "$crashes/$short/failure-$(date +%s).log"; echo "fuzz/run.sh: $name: no reproducer written (see the log below)"; }
    # The sanitizer report: the part of the log that explains the failure.
    grep -n -m1 -E "ERROR: |runtime error:|==ERROR|ALARM|out-of-memory|deadly signal|Timeout" "$log" >/dev/null &&
      sed -n "$(grep -n -m1 -E 'ERROR: |runtime error:|==ERROR|ALARM|out-of-memory|deadly signal|Timeout' "$log" | cut -d: -f1),+40p" "$log"
  fi
  tail -3 "$log" | sed 's/^/    /'
  rows+=("$(printf '  %-16s %-18s %10s %9s %7s %7s %6s' "$name" "$status" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
  [ "${PYHANG_FUZZ_KEEP:-0}" = 1 ] && echo "    working corpus kept: $work/corpus"
done

echo
echo "==> fuzz summary (${seconds}s each)"
printf '  %-16s %-18s %10s %9s %7s %7s %6s\n' fuzzer status execs "execs/s" cov ft corpus
printf '%s\n' "${rows[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz/run.sh: FAILED: reproducers are under fuzz/crashes/"
  exit 1
fi
echo "fuzz/run.sh: all fuzzers ran clean"
