#!/usr/bin/env bash
# Builds the module and runs the whole test suite with CTest.
# Tests that need ../shared (CamVid, the ESPNet backbone, parity fixtures) or a GPU skip
# with a message when those are absent. ESCRF_SHARED_DIR overrides the data folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_BUILD_DIR:-$root/build}"
bash "$root/tools/build.sh"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
