#!/bin/bash
# Install the Debian packages pyhang needs to build, test, fuzz and benchmark. Idempotent and
# quiet: when everything is already installed it only checks (no network, well under a second);
# otherwise it runs `apt-get update` once and installs what is missing. Runs as root, or through
# sudo otherwise. Debian 12 (bookworm) or newer.
set -euo pipefail

packages=(
  # build (ccache: scripts/test.sh builds three trees, about 12 of CI's minutes on 2 cores
  # without it, and CI's fresh clone compiles the same sources as the last local build)
  build-essential cmake pkg-config ccache
  libelf-dev libdw-dev libcli11-dev libfmt-dev nlohmann-json3-dev libgtest-dev
  libzstd-dev liblz4-dev liblzma-dev zlib1g-dev
  # tests: core dumps, the pytest harness (python3-pytest-xdist: the integration tests on both
  # cores, scripts/test.sh), interpreters from .debs, compressed cores
  gdb python3 python3-pytest python3-pytest-timeout python3-pytest-xdist patchelf debian-archive-keyring
  zstd lz4 xz-utils gzip binutils procps
  # libsqlite3-0: the pyenv builds' _sqlite3 module (a test program keeps an order book in sqlite)
  libsqlite3-0
  # the man page and the shell completions (tests/integration/test_docs.py, test_install.py), the JSON schema
  # (python3-jsonschema: tests/integration/test_schema.py)
  groff-base man-db zsh fish python3-jsonschema
  # the static, stripped /usr/bin/python3.11 the suite targets, and the symbols the native-stack
  # tests expect for it and for libc (static functions such as take_gil have names only there)
  python3.11 python3.11-dbg libc6-dbg
  # fuzzing (libFuzzer) and benchmarks
  clang libclang-rt-14-dev hyperfine
  # script linting
  shellcheck
)

# One dpkg-query for all: prints "name status" for each installed-or-known package.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null \
              | awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root, no sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run_apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq "$@" >>"$log" 2>&1 </dev/null; }
if ! { run_apt update && run_apt install -y --no-install-recommends "${missing[@]}"; }; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
