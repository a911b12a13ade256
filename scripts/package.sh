#!/bin/bash
# Builds pyhang's three deliverables into dist/ (Debian 12 or newer, x86_64):
#   dist/install/                        `cmake --install` into a DESTDIR, prefix /usr: the binary,
#                                         pyhang(1), the bash/zsh/fish completions, README and schema
#   dist/pyhang_VERSION_amd64.deb         `cpack -G DEB`: its Depends come from dpkg-shlibdeps
#   dist/pyhang-VERSION-x86_64-linux      the portable binary: only glibc is linked dynamically
# VERSION is project(VERSION) in CMakeLists.txt plus the commit (`0.1.0+git123.abcdef0123`).
# Build directories: build-package/ and build-portable/ (kept, so a second run is incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=${PYHANG_JOBS:-$(nproc)}
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYHANG_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr)
if command -v ccache >/dev/null; then cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
rm -rf dist
mkdir -p dist

echo "package: the installed tree and the .deb" >&2
cmake -S . -B build-package "${cmake_args[@]}" >/dev/null
cmake --build build-package -j "$jobs"
DESTDIR="$PWD/dist/install" cmake --install build-package --strip >/dev/null
(cd build-package && cpack -G DEB -B "$PWD/packages" >/dev/null)
cp build-package/packages/pyhang_*.deb dist/

echo "package: the portable binary" >&2
cmake -S . -B build-portable "${cmake_args[@]}" -DPYHANG_PORTABLE=ON >/dev/null
cmake --build build-portable -j "$jobs" --target pyhang
version=$(dpkg-deb -f dist/pyhang_*.deb Version)
portable="dist/pyhang-$version-x86_64-linux"
strip -o "$portable" build-portable/pyhang
# What it still needs: only glibc's libraries, and the newest symbol version it uses.
needed=$(objdump -p "$portable" | awk '/NEEDED/ { print $2 }' | sort | tr '\n' ' ')
glibc=$(objdump -T "$portable" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
for lib in $needed; do
  case $lib in libc.so.6|libm.so.6|ld-linux-x86-64.so.2|libpthread.so.0|libdl.so.2|librt.so.1) ;;
    *) echo "package: the portable binary needs $lib, which is not part of glibc" >&2; exit 1 ;;
  esac
done
echo "package: $portable needs $needed(at least $glibc)" >&2
ls -l dist >&2
