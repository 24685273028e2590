// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// GPU nearest downsampling of superpixel label maps (CPU twin: src/superpixels/label_maps.cpp).

#include "cuda/cuda_utils.hpp"
#include "superpixels/superpixels_cuda.hpp"

namespace cv {
namespace escrf {
namespace cuda {

// cell(y, x) = labels(floor(y*H/h), floor(x*W/w)), in 64-bit integers as on the CPU.
__global__ void downsampleLabelsNearestKernel(const int* __restrict__ src, int W, int H,
                                              int* __restrict__ dst, int w, int h)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= w || y >= h)
        return;
    // The same double-precision arithmetic as cv::resize(INTER_NEAREST) (resizeNN).
    const double ifx = 1.0 / ((double)w / W), ify = 1.0 / ((double)h / H);
    const int sx = min((int)floor(x * ifx), W - 1);
    const int sy = min((int)floor(y * ify), H - 1);
    dst[(size_t)y * w + x] = src[(size_t)sy * W + sx];
}

void downsampleLabelsNearest(const Mat& labels, Size featureSize, Mat& cellLabels)
{
    CV_Assert(!labels.empty() && labels.type() == CV_32SC1);
    CV_Assert(featureSize.width > 0 && featureSize.height > 0 &&
              featureSize.width <= labels.cols && featureSize.height <= labels.rows);
    DeviceBuffer<int> src, dst(featureSize.area());
    uploadMat(labels, src);
    const dim3 block(32, 8);
    const dim3 grid(divUp(featureSize.width, block.x), divUp(featureSize.height, block.y));
    downsampleLabelsNearestKernel<<<grid, block>>>(src.get(), labels.cols, labels.rows,
                                                   dst.get(), featureSize.width, featureSize.height);
    ESCRF_CUDA_CHECK_LAUNCH();
    cellLabels.create(featureSize, CV_32SC1);
    CV_Assert(cellLabels.isContinuous());
    dst.download(cellLabels.ptr<int>(), featureSize.area());  // cudaMemcpy synchronises
}

}}} // namespace cv::escrf::cuda
