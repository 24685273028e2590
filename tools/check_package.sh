#!/usr/bin/env bash
# Installs the standalone build into a temporary prefix and builds samples/consumer against it,
# once with find_package(escrf) (CMake) and once with pkg-config, then runs both programs.
# Needs a configured and built tree: ESCRF_BUILD_DIR, default ./build (tools/build.sh makes it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
work="$(mktemp -d "${TMPDIR:-/tmp}/escrf-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
echo "escrf package: installed $(grep -c 'Installing:' "$work/install.log") files into a temporary prefix"

# CMake consumer: only the prefix is given; OpenCV is found by escrfConfig.cmake's find_dependency.
cmake -S "$root/samples/consumer" -B "$work/cmake-consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/cmake-consumer" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
# The program must run against the installed library, not the build tree's.
# (ldd's output is kept first: with pipefail, grep -q closing the pipe early would fail ldd.)
libs="$(ldd "$work/cmake-consumer/escrf_consumer")"
grep -q "$prefix/.*libopencv_escrf" <<<"$libs" || {
    echo "escrf package: the CMake consumer does not link the installed libopencv_escrf"; echo "$libs"; exit 1; }
"$work/cmake-consumer/escrf_consumer"

# pkg-config consumer: the same source, flags from escrf.pc (which requires opencv4.pc).
libdir="$(dirname "$(find "$prefix" -name escrf.pc)")"
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
c++ -std=c++17 -O1 "$root/samples/consumer/main.cpp" -o "$work/pc-consumer" \
    $(pkg-config --cflags --libs escrf) -Wl,-rpath,"$(pkg-config --variable=libdir escrf)"
"$work/pc-consumer"
echo "escrf package: find_package(escrf) and pkg-config consumers built and ran"
