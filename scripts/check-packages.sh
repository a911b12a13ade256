#!/bin/bash
# Checks the packages scripts/package.sh wrote to dist/ on clean systems, as root:
#   scripts/check-packages.sh deb  ROOT   installs dist/pyhang_*.deb with `apt install ./...` in
#                                         the Debian root ROOT (12 or 13), and diagnoses a hung
#                                         program there with the installed pyhang
#   scripts/check-packages.sh portable ROOT  the same with the portable binary, copied in alone
# ROOT is changed (packages installed): give it a copy of a clean root (debootstrap --variant=minbase),
# never the original. Needs network access to the root's Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/check-packages.sh deb|portable ROOT}
root=$(realpath "${2:?usage: scripts/check-packages.sh deb|portable ROOT}")
[ "$(id -u)" -eq 0 ] || { echo "check-packages: must run as root (chroot)" >&2; exit 1; }

mounted=
cleanup() { if [ -n "$mounted" ]; then umount "$root/proc" || true; fi; }
trap cleanup EXIT
mount -t proc proc "$root/proc"
mounted=1
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

in_root apt-get -qq update
case $kind in
  deb)
    cp dist/pyhang_*.deb "$root/tmp/"
    deb=$(basename dist/pyhang_*.deb)
    in_root env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y "/tmp/$deb" >/dev/null
    in_root dpkg -s pyhang | grep -E '^(Version|Depends):'
    pyhang=/usr/bin/pyhang
    in_root man -w pyhang >/dev/null 2>&1 || test -f "$root/usr/share/man/man1/pyhang.1.gz" -o -f "$root/usr/share/man/man1/pyhang.1"
    ;;
  portable)
    cp dist/pyhang-*-x86_64-linux "$root/usr/local/bin/pyhang"
    pyhang=/usr/local/bin/pyhang
    ;;
  *) echo "check-packages: deb or portable, not $kind" >&2; exit 2 ;;
esac
in_root env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends python3 >/dev/null
echo "check-packages: $(in_root "$pyhang" --version) on $(grep -oP "^PRETTY_NAME=\"\K[^\"]*" "$root/etc/os-release"), $(in_root python3 --version)"

cat > "$root/tmp/lock_order.py" <<'PY'
import os, threading, time
a, b = threading.Lock(), threading.Lock()
def take(first, second):
    with first:
        time.sleep(0.5)
        with second:
            pass
for pair in ((a, b), (b, a)):
    threading.Thread(target=take, args=pair).start()
time.sleep(1.5)
print(f"READY {os.getpid()}", flush=True)
PY
in_root python3 /tmp/lock_order.py > "$root/tmp/lock_order.out" &
target=$!
for _ in $(seq 100); do grep -q READY "$root/tmp/lock_order.out" && break; sleep 0.1; done
pid=$(awk '/READY/ { print $2 }' "$root/tmp/lock_order.out")
set +e
in_root "$pyhang" remote "$pid" > "$root/tmp/report.txt"
code=$?
set -e
kill -9 "$pid" 2>/dev/null || true
{ wait "$target"; } 2>/dev/null || true  # killed on purpose: no "Killed" line
tail -1 "$root/tmp/report.txt"
if [ "$code" -ne 1 ] || ! grep -q '^Verdict: DEADLOCK (lock-order-cycle)' "$root/tmp/report.txt"; then
  echo "check-packages: expected a lock-order deadlock (exit 1), got exit $code:" >&2
  cat "$root/tmp/report.txt" >&2
  exit 1
fi
echo "check-packages: $kind OK"
