#!/usr/bin/env bash
# Builds the libFuzzer harnesses of test/fuzz (Clang 14, AddressSanitizer + UndefinedBehaviorSanitizer,
# CUDA off) in ./build-fuzz (or $ESCRF_FUZZ_BUILD_DIR) and runs them (doc/reliability.md).
#
#   tools/fuzz.sh [SECONDS] [HARNESS...]   fuzz each harness for SECONDS (default 600), one after the
#                                          other; new inputs go to build-fuzz/corpus/<harness>, never
#                                          into the repository; findings (crash-*, timeout-*, leak-*,
#                                          oom-*) to build-fuzz/findings/<harness>
#   tools/fuzz.sh replay [HARNESS...]      run each harness once over its seed corpus
#                                          (test/fuzz/corpus/<harness>) and the reproducers of
#                                          test/data/bad-inputs; fails on any finding
# HARNESS is a name such as fuzz_head_load (default: all). Needs clang-14 and libclang-rt-14-dev.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ESCRF_FUZZ_BUILD_DIR:-$root/build-fuzz}"
mode=fuzz
seconds=600
if [ "${1:-}" = replay ]; then mode=replay; shift; elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$root"/test/fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  mkdir -p "$build"
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESCRF_WITH_CUDA=OFF \
      -DESCRF_SANITIZE=ON -DESCRF_BUILD_FUZZERS=ON -DESCRF_BUILD_PERF_TESTS=OFF -DESCRF_BUILD_SAMPLES=OFF \
      -DESCRF_BUILD_TESTS="${ESCRF_FUZZ_WITH_TESTS:-OFF}" >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j"${ESCRF_JOBS:-$(nproc)}" --target "${harnesses[@]}"

# OpenCV's own allocations live to the end of the process: leaks are not what is looked for here.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common=(-timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=65536)
status=0
for h in "${harnesses[@]}"; do
  seeds="$root/test/fuzz/corpus/$h"
  [ -d "$seeds" ] || { echo "escrf fuzz: no seed corpus $seeds"; exit 1; }
  findings="$build/findings/$h"
  mkdir -p "$findings"
  if [ "$mode" = replay ]; then
    echo "escrf fuzz: replaying $h on $seeds and test/data/bad-inputs"
    "$build/bin/$h" "${common[@]}" -artifact_prefix="$findings/" -runs=0 "$seeds" "$root/test/data/bad-inputs" \
        >"$findings/replay.log" 2>&1 || { status=1; tail -40 "$findings/replay.log"; }
    grep -E "^#[0-9]+.*(INITED|DONE)" "$findings/replay.log" | tail -1 || true
  else
    corpus="$build/corpus/$h"
    mkdir -p "$corpus"
    echo "escrf fuzz: $h for ${seconds} s"
    "$build/bin/$h" "${common[@]}" -artifact_prefix="$findings/" -max_total_time="$seconds" -print_final_stats=1 \
        "$corpus" "$seeds" >"$findings/fuzz.log" 2>&1 || { status=1; tail -60 "$findings/fuzz.log"; }
    grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$findings/fuzz.log" || true
    echo "escrf fuzz: $h corpus $(ls "$corpus" | wc -l) inputs, findings: $(ls "$findings" | grep -cvE '\.log$' || true)"
  fi
done
exit $status
