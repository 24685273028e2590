// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The host side of cuda_device.hpp (the device query itself is src/cuda/cuda_device.cu).
#include "precomp.hpp"
#include "core/cuda_device.hpp"

namespace cv {
namespace escrf {

#ifndef HAVE_ESCRF_CUDA
bool cuda::deviceAvailable()
{
    return false;
}
#endif

namespace detail {

String cudaUnavailableReason()
{
#ifdef HAVE_ESCRF_CUDA
    return cuda::deviceAvailable() ? String() : String("there is no CUDA device");
#else
    return "opencv_escrf was built without CUDA";
#endif
}

void requireCudaDevice(const String& request, const String& fallback)
{
    const String why = cudaUnavailableReason();
    if (!why.empty())
        CV_Error_(Error::GpuNotSupported, ("%s but %s (use %s)", request.c_str(), why.c_str(), fallback.c_str()));
}

} // namespace detail
}} // namespace cv::escrf
