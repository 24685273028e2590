// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Test shim: inside an OpenCV tree the tests use opencv2/ts.hpp (its bundled GoogleTest);
// standalone they use the system GoogleTest. Both give namespace opencv_test with the
// gtest macros and cv:: names, and escrfSharedDir() to find ../shared.
#ifndef OPENCV_ESCRF_TEST_PRECOMP_HPP
#define OPENCV_ESCRF_TEST_PRECOMP_HPP

#ifdef ESCRF_STANDALONE
#include <gtest/gtest.h>
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/imgcodecs.hpp"
namespace opencv_test {
using namespace cv;
using namespace testing;
}
#else
#include "opencv2/ts.hpp"
#endif

#include "opencv2/escrf.hpp"
#include <string>

namespace opencv_test {

/** The shared test-data folder (spec, CamVid, backbone, parity fixtures), or "" when absent.
 * Looked up in $ESCRF_SHARED_DIR, then in the folder CMake was configured with. */
std::string escrfSharedDir();

/** Skips the current test, with a message saying what is missing, when the shared folder
 * (or the given file inside it) is absent. Returns the full path of the file. */
#define ESCRF_REQUIRE_SHARED(relpath, out_path) \
    do { \
        std::string dir_ = ::opencv_test::escrfSharedDir(); \
        if (dir_.empty()) GTEST_SKIP() << "shared data folder not found: set ESCRF_SHARED_DIR (default ../shared)"; \
        out_path = dir_ + "/" + (relpath); \
        if (!::opencv_test::escrfFileExists(out_path)) GTEST_SKIP() << "shared data file absent: " << out_path; \
    } while (0)

bool escrfFileExists(const std::string& path);

} // namespace opencv_test

#endif
