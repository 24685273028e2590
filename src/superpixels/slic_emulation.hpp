// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The CPU emulation of the CUDA superpixel pipeline: a test backend, compiled into the tests and
// not into the library (CMakeLists.txt: *_emulation.cpp), so it is not part of what ships.
#ifndef OPENCV_ESCRF_SLIC_EMULATION_HPP
#define OPENCV_ESCRF_SLIC_EMULATION_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/superpixels.hpp"

namespace cv {
namespace escrf {
namespace detail {

/* CPU emulation of the CUDA superpixel pipeline (slic_emulation.cpp): the functors of
slic_device_math.hpp run in loops in the order of slic_pipeline.hpp, so that machines without a
GPU test the device arithmetic; the CUDA versions are in superpixels_cuda.hpp. */

//! Blur (blurKernel as SuperpixelParams::blurKernel) and 8-bit Lab of a CV_8UC3 BGR image.
void emulateGpuBlurLab(const Mat& bgr, int blurKernel, Mat& lab);
//! Only the Gaussian blur step (blurKernel 3, 5 or 7), CV_8UC3 -> CV_8UC3.
void emulateGpuBlur(const Mat& bgr, int blurKernel, Mat& blurred);
//! SLIC / SLICO of a CV_8UC3 Lab image; labels not yet renumbered (as cuda::computeSlic).
void emulateGpuSlic(const Mat& lab, Mat& labels, const SuperpixelParams& params);
//! Connectivity enforcement of a CV_32SC1 map in place, renumbered; returns M (as enforceLabelConnectivity).
int emulateGpuEnforceConnectivity(Mat& labels, int minSize);
//! The whole pipeline of a CV_8UC3 BGR image; labels renumbered in raster order; returns M.
int emulateGpuSuperpixels(const Mat& bgr, Mat& labels, const SuperpixelParams& params);

}}} // namespace cv::escrf::detail

#endif
