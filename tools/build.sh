#!/usr/bin/env bash
# Configures and builds the module standalone in ./build (or $ESCRF_BUILD_DIR).
# CUDA is compiled in automatically when nvcc is found (PATH or /usr/local/cuda).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
bash "$root/tools/install_deps.sh"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build/escrf-configure.log" 2>&1 || { cat "$build/escrf-configure.log"; exit 1; }
grep -E "^-- escrf:" "$build/escrf-configure.log" || true
cmake --build "$build" -j"$(nproc)"
