#!/bin/bash
# Provision the three Debian-packaged interpreters pyhang is tested against, without touching the
# system:
#   CPython 3.14 from Debian sid     -> DEST/sid314/usr/bin/python3.14
#   CPython 3.13 from Debian trixie  -> DEST/trixie313/usr/bin/python3.13
#   CPython 3.15 from Debian sid     -> DEST/sid315/usr/bin/python3.15
# The .deb files are fetched with a private apt configuration that reuses the Debian mirror this
# machine is configured with, unpacked with dpkg -x, and the binaries are patched (patchelf) to
# run on sid's glibc shipped alongside them, so multiprocessing's spawn/forkserver work too.
#
# Usage: scripts/get-pythons.sh [--refresh] [DEST]
#   DEST defaults to ${PYHANG_PYTHONS:-$HOME/.cache/pyhang-pythons}.
#   If all three interpreters already exist in DEST and run, nothing is done; otherwise only the
#   missing or broken ones are unpacked again (3.13 and 3.15 use the glibc unpacked with 3.14).
#   Downloaded .debs are kept in DEST/.apt/debs, so a re-run (e.g. after DEST was moved or an
#   interpreter was damaged) unpacks them again without the network. --refresh forces a new
#   download.
#   stdout: the three interpreter paths, one per line (3.14, 3.13, then 3.15); all else on stderr.
# Environment: PYHANG_DEBIAN_MIRROR overrides the mirror (default: the one apt is configured with).
set -euo pipefail

refresh=0
dest_arg=
for arg in "$@"; do
  case $arg in
    --refresh) refresh=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "get-pythons.sh: unknown option $arg" >&2; exit 2 ;;
    *) dest_arg=$arg ;;
  esac
done
DEST=${dest_arg:-${PYHANG_PYTHONS:-$HOME/.cache/pyhang-pythons}}

py314=$DEST/sid314/usr/bin/python3.14
py313=$DEST/trixie313/usr/bin/python3.13
py315=$DEST/sid315/usr/bin/python3.15

log() { echo "get-pythons: $*" >&2; }

# Does this interpreter start and import what the tests use?
works() {
  [ -x "$1" ] && "$1" -I -c 'import sys, asyncio, multiprocessing, queue, threading' >/dev/null 2>&1
}

all_work() { works "$py314" && works "$py313" && works "$py315"; }

if [ "$refresh" = 0 ] && all_work; then
  printf '%s\n' "$py314" "$py313" "$py315"
  exit 0
fi

[ "$(uname -m)" = x86_64 ] || { log "only x86_64 (amd64) is supported"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
if ! command -v patchelf >/dev/null; then
  log "installing patchelf"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq patchelf >&2
fi

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd -P)   # patchelf writes absolute paths: make them canonical
py314=$DEST/sid314/usr/bin/python3.14
py313=$DEST/trixie313/usr/bin/python3.13
py315=$DEST/sid315/usr/bin/python3.15

# One provisioning at a time per DEST (e.g. two test runs started together).
exec 9>"$DEST/.lock"
flock 9
if [ "$refresh" = 0 ] && all_work; then  # another run just did it
  printf '%s\n' "$py314" "$py313" "$py315"
  exit 0
fi

find_mirror() {
  if [ -n "${PYHANG_DEBIAN_MIRROR:-}" ]; then echo "$PYHANG_DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' \
        | tr ' ' '\n' | grep -v -e security -e '^$' | head -1 || true)
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' \
          | grep -v security | head -1 || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { log "missing $keyring (package debian-archive-keyring)"; exit 1; }

work=$DEST/.apt
mirror=
apt_opts_common=(-o APT::Architecture=amd64 -o Dir::State::status=/dev/null -o Dir::Etc::SourceParts=/dev/null)
# sid's Release file is valid for a week only, and a Debian mirror that lags (or serves a snapshot)
# gives one past that date, which apt refuses ("is expired"). The index is still verified against
# the Debian archive keyring; only the freshness date is not enforced for this private download.
apt_opts_common+=(-o Acquire::Check-Valid-Until=false)
# apt drops privileges to _apt for downloads, which cannot write into a root-owned cache in $HOME;
# as root, download as root instead (this also silences the "unsandboxed as root" warnings).
[ "$(id -u)" -eq 0 ] && apt_opts_common+=(-o APT::Sandbox::User=root)

have_debs() { # dir packages...
  local dir=$1 p; shift
  for p in "$@"; do compgen -G "$dir/${p}_*.deb" >/dev/null || return 1; done
}

# fetch SUITE CACHE TARGET_DIR PACKAGES...: make sure the .debs are in $work/debs/CACHE (download
# only when some are missing, or with --refresh), then unpack them all into a fresh TARGET_DIR.
fetch() {
  local suite=$1 debs=$work/debs/$2 dir=$3; shift 3
  if [ "$refresh" = 1 ] || ! have_debs "$debs" "$@"; then
    [ -n "$mirror" ] || mirror=$(find_mirror)
    log "downloading $suite packages from $mirror"
    mkdir -p "$work/etc" "$work/lists/$suite/partial" "$work/cache/$suite/archives/partial"
    echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/etc/$suite.list"
    local opts=("${apt_opts_common[@]}" -o Dir::Etc::SourceList="$work/etc/$suite.list"
                -o Dir::State::Lists="$work/lists/$suite" -o Dir::Cache="$work/cache/$suite")
    apt-get "${opts[@]}" -qq update >&2
    rm -rf "$debs.new"; mkdir -p "$debs.new"
    (cd "$debs.new" && apt-get "${opts[@]}" -qq download "$@" >&2)
    rm -rf "$debs"; mv "$debs.new" "$debs"
  else
    log "using cached $suite packages in $debs"
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  local f
  for f in "$debs"/*.deb; do dpkg -x "$f" "$dir"; done
}

# Only what is missing or broken is unpacked (and patched) again; sid314 carries the glibc and the
# shared libraries all three use, so when it is redone the others are redone too.
redo314=0; redo313=0; redo315=0
if [ "$refresh" = 1 ] || ! works "$py314"; then redo314=1; redo313=1; redo315=1; fi
if [ "$refresh" = 1 ] || ! works "$py313"; then redo313=1; fi
if [ "$refresh" = 1 ] || ! works "$py315"; then redo315=1; fi

[ "$redo314" = 0 ] || fetch sid sid "$DEST/sid314" python3.14 python3.14-minimal libpython3.14 \
  libpython3.14-minimal libpython3.14-stdlib libc6 zlib1g libexpat1 libffi8 libmpdec4 libbz2-1.0 liblzma5 libzstd1 \
  libssl3t64 libuuid1 libsqlite3-0 libncursesw6 libtinfo6 libreadline8t64 libgdbm6t64 libdb5.3t64
[ "$redo313" = 0 ] || fetch trixie trixie "$DEST/trixie313" python3.13 python3.13-minimal \
  libpython3.13-minimal libpython3.13-stdlib
[ "$redo315" = 0 ] || fetch sid sid315 "$DEST/sid315" python3.15 python3.15-minimal libpython3.15 \
  libpython3.15-minimal libpython3.15-stdlib libgcc-s1

libs=$DEST/sid314/usr/lib/x86_64-linux-gnu:$DEST/sid314/lib/x86_64-linux-gnu
ld=$DEST/sid314/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
[ "$redo314" = 0 ] || patchelf --set-interpreter "$ld" --set-rpath "$libs" "$py314"
[ "$redo313" = 0 ] || patchelf --set-interpreter "$ld" \
  --set-rpath "$DEST/trixie313/usr/lib/x86_64-linux-gnu:$libs" "$py313"
[ "$redo315" = 0 ] || patchelf --set-interpreter "$ld" \
  --set-rpath "$DEST/sid315/usr/lib/x86_64-linux-gnu:$DEST/sid315/lib/x86_64-linux-gnu:$libs" "$py315"

for p in "$py314" "$py313" "$py315"; do
  "$p" -I -c 'import sys, asyncio, multiprocessing, queue, threading; print(sys.executable, sys.version.split()[0])' >&2 \
    || { log "$p does not run"; exit 1; }
done
printf '%s\n' "$py314" "$py313" "$py315"
