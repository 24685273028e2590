// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Entry point of opencv_perf_escrf: OpenCV's ts perf main in an OpenCV tree, Google Benchmark's
// in the standalone build (see perf_precomp.hpp).
#include "perf_precomp.hpp"

#ifdef ESCRF_STANDALONE
BENCHMARK_MAIN();
#else
CV_PERF_TEST_MAIN(escrf)
#endif
