// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Whether the CUDA paths can run, for every stage (superpixels, block, head, trainer, dnn layer):
// the one question every GPU dispatch asks, and the one error when a CUDA request cannot be
// served. Declared in every build (without CUDA there is never a device), so callers need no
// HAVE_ESCRF_CUDA around the question itself.
#ifndef OPENCV_ESCRF_CORE_CUDA_DEVICE_HPP
#define OPENCV_ESCRF_CORE_CUDA_DEVICE_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace cuda {

//! True when the module has CUDA and the runtime sees at least one device; false (no exception)
//! without CUDA in the build, without a device or without a driver (src/cuda/cuda_device.cu).
CV_EXPORTS bool deviceAvailable();

} // namespace cuda

namespace detail {

//! Why the CUDA paths cannot run: "opencv_escrf was built without CUDA", "there is no CUDA
//! device", or "" when they can.
String cudaUnavailableReason();

/** @brief The check of every explicit CUDA request: throws cv::Exception (Error::GpuNotSupported)
"<request> but <reason> (use <fallback>)" unless the CUDA paths can run. Requests that may fall
back by themselves (the Segmenter's CUDA target) log cudaUnavailableReason() instead. */
void requireCudaDevice(const String& request, const String& fallback);

} // namespace detail
}} // namespace cv::escrf

#endif
