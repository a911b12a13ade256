#!/bin/bash
# Builds PyStack from source, with Debian's packages only, into a cache directory outside the
# repository, so that bench/run.sh can run it side by side with pyhang (PYHANG_BENCH_PYSTACK).
# Nothing of PyStack enters the repository, and nothing comes from PyPI.
#
#   bench/get-pystack.sh PYSTACK NANOBIND ROBIN_MAP [CACHE]
#
# PYSTACK, NANOBIND, ROBIN_MAP: each a source checkout (a directory), a bare git directory plus
# a revision as DIR@REV, or a .tar.gz/.tar.xz/.tgz tarball of the source. Known good:
# bloomberg/pystack v1.7.0, wjakob/nanobind v2.15.0, Tessil/robin-map at the commit nanobind
# v2.15.0 pins in ext/robin_map (4ec1bf19c6a9).
# CACHE (default ~/.cache/pyhang-bench/pystack): the build goes to CACHE/src/pystack, the
# script prints the command to run it; an existing build of the same sources is kept.
#
# Debian packages it needs (installed with apt-get when missing, as root): cmake, g++,
# pkg-config, libelf-dev, libdw-dev, python3.11-dev.
#
# Run PyStack as:  PYTHONPATH=CACHE/src python3.11 -m pystack remote PID
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
pystack_src=$1
nanobind_src=$2
robin_src=$3
cache=${4:-$HOME/.cache/pyhang-bench/pystack}
python=${PYSTACK_PYTHON:-/usr/bin/python3.11}

need=()
for p in cmake g++ pkg-config libelf-dev libdw-dev python3.11-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y --no-install-recommends "${need[@]}"
  else
    echo "get-pystack.sh: missing Debian packages: ${need[*]} (apt-get install them as root)" >&2
    exit 2
  fi
fi

# unpack SRC DEST: copies a checkout, a git revision or a tarball's top directory to DEST.
unpack() {
  local src=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$dest"
  if [[ $src == *@* ]]; then
    git --git-dir="${src%@*}" archive --format=tar "${src##*@}" | tar -x -C "$dest"
  elif [ -d "$src/.git" ] || [ -f "$src/.git" ]; then
    git -C "$src" archive --format=tar HEAD | tar -x -C "$dest"
  elif [ -d "$src" ]; then
    cp -a "$src/." "$dest/"
  elif [ -f "$src" ]; then
    tar -xf "$src" -C "$dest" --strip-components=1
  else
    echo "get-pystack.sh: no such source: $src" >&2
    exit 2
  fi
}

# What a source is, by content: the commit of a revision or checkout, a tarball's checksum, or
# (a plain directory) the checksum of its files.
source_id() {
  local src=$1
  if [[ $src == *@* ]]; then
    git --git-dir="${src%@*}" rev-parse "${src##*@}^{commit}"
  elif [ -e "$src/.git" ]; then
    git -C "$src" rev-parse HEAD
  elif [ -f "$src" ]; then
    sha256sum <"$src" | cut -c1-64
  else
    (cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
  fi
}

# The build is kept when the three sources and the interpreter are the same as last time.
stamp=$({ source_id "$pystack_src" && source_id "$nanobind_src" && source_id "$robin_src" &&
  "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && ls "$cache"/src/pystack/_pystack*.so >/dev/null 2>&1; then
  echo "PyStack already built in $cache"
  echo "run: PYTHONPATH=$cache/src $python -m pystack remote PID"
  exit 0
fi

work=$cache.build
rm -rf "$work"
mkdir -p "$work"
unpack "$pystack_src" "$work/pystack"
unpack "$nanobind_src" "$work/nanobind"
rmdir "$work/nanobind/ext/robin_map" 2>/dev/null || rm -rf "$work/nanobind/ext/robin_map"
unpack "$robin_src" "$work/nanobind/ext/robin_map"

# PyStack's CMake project asks `python -m nanobind --cmake_dir`; nanobind is not installed as a
# module here, so its directory is given instead (nanobind_DIR wins over the empty answer).
cmake -S "$work/pystack" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DPython_EXECUTABLE="$python" -Dnanobind_DIR="$work/nanobind/cmake" >"$work/cmake.log" 2>&1 || {
  tail -30 "$work/cmake.log" >&2
  exit 1
}
nice -n 10 cmake --build "$work/build" -j"$(nproc)" >"$work/build.log" 2>&1 || {
  tail -30 "$work/build.log" >&2
  exit 1
}

rm -rf "$cache"
mkdir -p "$cache"
cp -a "$work/pystack/src" "$cache/src"
cp "$work"/build/src/pystack/_pystack/_pystack*.so "$cache/src/pystack/"
# _version.py comes from the source tree; the version is what PyStack reports.
echo "$stamp" >"$cache/stamp"
rm -rf "$work"
PYTHONPATH=$cache/src "$python" -m pystack --version >/dev/null 2>&1 ||
  PYTHONPATH=$cache/src "$python" -c 'import pystack._pystack' || {
  echo "get-pystack.sh: the built PyStack does not import" >&2
  exit 1
}
echo "PyStack built in $cache"
echo "run: PYTHONPATH=$cache/src $python -m pystack remote PID"
