// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Entry point of opencv_perf_escrf (Google Benchmark); the benchmarks live in perf_*.cpp.

#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
