// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Embeddings of the ES-CRF block on the GPU (CPU twin: src/block/block_embedding.cpp): the
// appearance and position embeddings, their half squared norms (the Gaussian kernel's score)
// and the column sums of the position half's gradient.

#include "cuda/block_kernels.hpp"

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

namespace {

// One thread per cell; the E image rows as the CPU's project (p = 0, 1, 2 in order), the E
// position rows from the separable factors.
__global__ void embeddingKernel(const float* __restrict__ Wimg, const float* __restrict__ image,
                                const float* __restrict__ A, const float* __restrict__ B, int E, int h, int w,
                                float* __restrict__ e)
{
    const int N = h * w;
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N)
        return;
    const int y = i / w, x = i % w;
    const float r = image[i], g = image[(size_t)N + i], b = image[(size_t)2 * N + i];
    for (int k = 0; k < E; k++)
    {
        float acc = 0.f;
        acc += r * Wimg[k * 3];
        acc += g * Wimg[k * 3 + 1];
        acc += b * Wimg[k * 3 + 2];
        e[(size_t)k * N + i] = acc;
        e[(size_t)(E + k) * N + i] = A[(size_t)k * w + x] + B[(size_t)k * h + y];
    }
}

__global__ void halfNormKernel(const float* __restrict__ e, int D, int N, float* __restrict__ hn)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N)
        return;
    float s = 0.f;
    for (int d = 0; d < D; d++)
        s += e[(size_t)d * N + i] * e[(size_t)d * N + i];
    hn[i] = 0.5f * s;
}

__global__ void columnSumsKernel(const float* __restrict__ X, int E, int h, int w, double* __restrict__ out)
{
    const int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= E * w)
        return;
    const int e = t / w, x = t % w;
    const float* col = X + (size_t)e * h * w + x;
    double acc = 0;
    for (int y = 0; y < h; y++)
        acc += col[(size_t)y * w];
    out[t] = acc;
}

} // namespace

void embeddingForward(const float* Wimg, const float* image, const float* A, const float* B, int E,
                      int h, int w, float* e)
{
    const int N = h * w;
    if (N <= 0 || E <= 0)
        return;
    embeddingKernel<<<blocksFor(N), kThreads>>>(Wimg, image, A, B, E, h, w, e);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void halfSquaredNorms(const float* e, int D, int N, float* hn)
{
    if (N <= 0)
        return;
    halfNormKernel<<<blocksFor(N), kThreads>>>(e, D, N, hn);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void columnSums(const float* X, int E, int h, int w, double* out)
{
    if (E * w <= 0)
        return;
    columnSumsKernel<<<blocksFor((size_t)E * w), kThreads>>>(X, E, h, w, out);
    ESCRF_CUDA_CHECK_LAUNCH();
}

}}}} // namespace cv::escrf::cuda::blockgpu
