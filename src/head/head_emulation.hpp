// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The CPU emulation of the head's CUDA runner: a test backend, compiled into the tests and not
// into the library (CMakeLists.txt: *_emulation.cpp), so it is not part of what ships.
#ifndef OPENCV_ESCRF_HEAD_EMULATION_HPP
#define OPENCV_ESCRF_HEAD_EMULATION_HPP

#include "head/head_runner.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! The pipeline on the host (CPU emulation of the CUDA runner, any build).
Ptr<HeadRunner> createHeadRunnerEmulation(const Head& head);

/** Buffer (re)allocations made by the emulation so far, in all its runners: the number of
device allocations the CUDA runner would make (a test hook; steady-state steps make none). */
size_t headEmulationAllocations();

}}} // namespace cv::escrf::detail

#endif
