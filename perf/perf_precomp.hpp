// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Every perf case includes this header and is written with OpenCV's ts perf API (PERF_TEST_P,
// TEST_CYCLE, SANITY_CHECK_NOTHING) inside namespace opencv_test. In an OpenCV tree that is
// opencv2/ts.hpp and the program is OpenCV's opencv_perf_escrf (run.py, summary.py); the
// standalone build maps the same API onto Google Benchmark (perf_ts_adapter.hpp).
#ifndef OPENCV_ESCRF_PERF_PRECOMP_HPP
#define OPENCV_ESCRF_PERF_PRECOMP_HPP

#ifdef ESCRF_STANDALONE
#include "perf_ts_adapter.hpp"
#else
#include "opencv2/ts.hpp"
#include <cstdio>
namespace opencv_test {
using namespace perf;
//! A named value next to the time: a property of the test in ts's XML report.
inline void reportCounter(const char* name, double value)
{
    char text[64];
    std::snprintf(text, sizeof(text), "%.6g", value);
    ::testing::Test::RecordProperty(name, text);
}
} // namespace opencv_test
#endif

#include "opencv2/escrf.hpp"
#include "perf_common.hpp"

namespace opencv_test {
using namespace cv;
using namespace cv::escrf;
using namespace escrf_perf;
} // namespace opencv_test

#endif
