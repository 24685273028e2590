// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The device query of src/core/cuda_device.hpp (host side: src/core/cuda_device.cpp).
#include "cuda/cuda_utils.hpp"
#include "core/cuda_device.hpp"

namespace cv {
namespace escrf {
namespace cuda {

bool deviceAvailable()
{
    // No driver or no device both end up here as an error code, never as an exception.
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess)
    {
        (void)cudaGetLastError();
        return false;
    }
    return count > 0;
}

}}} // namespace cv::escrf::cuda
