#!/usr/bin/env bash
# This file is part of OpenCV project.
# It is subject to the license terms in the LICENSE file found in the top-level directory
# of this distribution and at http://opencv.org/license.html.
#
# GPU checks and benchmarks of issue #6, for a GPU machine that has CUDA 13, PyTorch and
# compute-sanitizer but no OpenCV C++ (see doc/performance.md, "GPU (not measured yet)").
#
#   tools/gpu_bench.sh pack [BUILD_DIR]        here (no GPU needed): copies the CUDA build's
#        opencv_perf_escrf and opencv_test_escrf and every shared library they load (OpenCV and
#        its dependencies, opencv_escrf), except glibc, libstdc++ and cuBLAS, into build-gpu-carry/
#        (git-ignored; the libraries as one lib.tar.xz, about 50 MiB).
#   tools/gpu_bench.sh run [all|sanitize|bench] on the GPU machine, in the repository root, with
#        build-gpu-carry carried: unpacks the libraries, finds cuBLAS 13, then
#        sanitize: compute-sanitizer memcheck and racecheck of opencv_test_escrf --gtest_filter='*Cuda*'
#        bench:    tools/bench_block_torch.py --device cuda (block vs PyTorch CUDA) and the
#                  superpixel benchmarks (CUDA SLIC vs ximgproc at 1920x1080).
#        Logs go to $OUT (the device tool's folder) or ./build-gpu-out. PYTHON (default python3)
#        names the interpreter that has PyTorch.
set -euo pipefail

CARRY="build-gpu-carry"
PYTHON=${PYTHON:-python3}   # the interpreter that has PyTorch

pack()
{
    local build=${1:-build-cuda}
    for b in opencv_perf_escrf opencv_test_escrf; do
        [ -x "$build/bin/$b" ] || { echo "pack: $build/bin/$b is missing: configure with CUDA and" \
            "-DESCRF_BUILD_PERF_TESTS=ON, then build opencv_perf_escrf and opencv_test_escrf" >&2; exit 1; }
    done
    # A perf binary built without HAVE_ESCRF_CUDA only reports "built without CUDA".
    if grep -q "HAVE_ESCRF_CUDA undefined" "$build/bin/opencv_perf_escrf"; then
        echo "pack: $build/bin/opencv_perf_escrf was built without CUDA (HAVE_ESCRF_CUDA undefined)" >&2
        exit 1
    fi
    rm -rf "$CARRY"
    mkdir -p "$CARRY/bin" "$CARRY/lib"
    cp "$build/bin/opencv_perf_escrf" "$build/bin/opencv_test_escrf" "$CARRY/bin/"
    # The GPU machine's own glibc/libstdc++ are newer than Debian 12's; cuBLAS 13 is there
    # (CUDA toolkit, PyTorch's nvidia-cublas) and its 600 MB would not fit the carry limit.
    ldd "$build/bin/opencv_perf_escrf" "$build/bin/opencv_test_escrf" | awk '/=> \//{print $1, $3}' | sort -u |
        grep -vE '^(ld-linux[^ ]*|libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libcublas|libcublasLt)\.so' |
        while read -r name path; do cp -L "$path" "$CARRY/lib/$name"; done
    tar -C "$CARRY" -cf - lib | xz -9 -T2 > "$CARRY/lib.tar.xz"
    rm -rf "${CARRY:?}/lib"
    du -sh "$CARRY"
}

setup()
{
    [ -f "$CARRY/lib.tar.xz" ] || { echo "run: $CARRY/lib.tar.xz is missing: run 'tools/gpu_bench.sh pack' here" \
        "and carry $CARRY" >&2; exit 1; }
    LIBDIR=/tmp/escrf-gpu-lib
    rm -rf "$LIBDIR" && mkdir -p "$LIBDIR"
    tar -C "$LIBDIR" --strip-components=1 -xJf "$CARRY/lib.tar.xz"
    local cublas
    cublas=$(find /usr/local /opt /usr/lib -name 'libcublas.so.13' 2>/dev/null | head -1 || true)
    [ -n "$cublas" ] || { echo "run: libcublas.so.13 not found on this machine" >&2; exit 1; }
    LD_LIBRARY_PATH="$LIBDIR:$(dirname "$cublas")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LD_LIBRARY_PATH
    if ldd "$CARRY/bin/opencv_perf_escrf" "$CARRY/bin/opencv_test_escrf" | grep "not found"; then
        echo "run: libraries missing (above)" >&2
        exit 1
    fi
    LOGS=${OUT:-build-gpu-out}
    mkdir -p "$LOGS"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$LOGS/gpu.txt" ||
        echo "nvidia-smi failed: no NVIDIA driver here?"
    "$PYTHON" -c "import torch; print(\"torch\", torch.__version__, \"CUDA\", torch.version.cuda)" | tee -a "$LOGS/gpu.txt" || true
}

sanitize()
{
    # Each tool at most 4 minutes, so that both fit one 10-minute device call.
    local t rc
    for t in memcheck racecheck; do
        rc=0
        timeout 240 compute-sanitizer --tool "$t" --error-exitcode 99 \
            "$CARRY/bin/opencv_test_escrf" --gtest_filter='*Cuda*' > "$LOGS/sanitizer_$t.log" 2>&1 || rc=$?
        echo "compute-sanitizer $t: exit $rc (0 = clean, 99 = errors found, 124 = timed out)," \
            "$(grep -c '^\[       OK \]' "$LOGS/sanitizer_$t.log" || true) tests passed"
        grep -E "ERROR SUMMARY|RACECHECK SUMMARY|FAILED|SKIPPED" "$LOGS/sanitizer_$t.log" | head -20 || true
    done
}

bench()
{
    PYTHONUNBUFFERED=1 "$PYTHON" tools/bench_block_torch.py --device cuda \
        --perf-bin "$CARRY/bin/opencv_perf_escrf" | tee "$LOGS/block_torch_cuda.txt"
    "$CARRY/bin/opencv_perf_escrf" --benchmark_filter='^(BM_(Superpixels|Slic)|Superpixels_)' \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_out="$LOGS/superpixels.json" --benchmark_out_format=json | tee "$LOGS/superpixels.txt"
}

case "${1:-}" in
    pack) pack "${2:-}" ;;
    run)
        setup
        case "${2:-all}" in
            sanitize) sanitize ;;
            bench) bench ;;
            all) sanitize; bench ;;
            *) echo "usage: $0 run [all|sanitize|bench]" >&2; exit 2 ;;
        esac ;;
    *) echo "usage: $0 pack [BUILD_DIR] | run [all|sanitize|bench]" >&2; exit 2 ;;
esac
