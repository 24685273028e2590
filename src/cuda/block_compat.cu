// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Feature compatibility of the ES-CRF block on the GPU (CPU twin: src/block/block_compat.cpp):
// the logits w.F_j per cell and their sigmoid.

#include "cuda/block_kernels.hpp"

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

namespace {

__global__ void logitsKernel(const float* __restrict__ wrow, const float* __restrict__ F, int C, int N,
                             float* __restrict__ z)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= N)
        return;
    float acc = 0.f;
    for (int c = 0; c < C; c++)
        acc += wrow[c] * F[(size_t)c * N + j];
    z[j] = acc;
}

__global__ void sigmoidKernel(const float* __restrict__ z, int N, float* __restrict__ mu)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j < N)
        mu[j] = sigmoidDev(z[j]);
}

} // namespace

void compatLogits(const float* wrow, const float* F, int C, int N, float* z)
{
    if (N <= 0)
        return;
    logitsKernel<<<blocksFor(N), kThreads>>>(wrow, F, C, N, z);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void sigmoidRow(const float* z, int N, float* mu)
{
    if (N <= 0)
        return;
    sigmoidKernel<<<blocksFor(N), kThreads>>>(z, N, mu);
    ESCRF_CUDA_CHECK_LAUNCH();
}

}}}} // namespace cv::escrf::cuda::blockgpu
