// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Small kernels of the ES-CRF block's CUDA path: embedding, compatibility logits, element-wise
// combinations and the deterministic reductions of the weight gradients (fixed partition of
// the sum over threads and a fixed tree, in double: the same result on every run).

#include "cuda/escrf_block_kernels.hpp"

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

namespace {

const int kThreads = 256;   // a power of two (tree reduction in rowDotsKernel)

unsigned blocksFor(size_t n)
{
    return (unsigned)((n + kThreads - 1) / kThreads);
}

__device__ __forceinline__ float sigmoidDev(float z)
{
    return z >= 0.f ? 1.f / (1.f + expf(-z)) : expf(z) / (1.f + expf(z));
}

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

__global__ void sigmoidKernel(const float* __restrict__ z, int N, float* __restrict__ mu)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j < N)
        mu[j] = sigmoidDev(z[j]);
}

__global__ void scaleKernel(const float* __restrict__ x, float s, size_t n, float* __restrict__ y)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n)
        y[t] = s * x[t];
}

// Pointers may be null (term skipped); out may not alias the inputs (separate buffers).
__global__ void combineKernel(const float* __restrict__ X, const float* __restrict__ Y1, float s1,
                              const float* __restrict__ Y2, float s2, const float* __restrict__ a,
                              const float* __restrict__ p, const float* __restrict__ b,
                              const float* __restrict__ q, int C, int N, float* __restrict__ out)
{
    const size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)C * N)
        return;
    const int c = (int)(t / N), i = (int)(t % N);
    float v = X[t];
    if (Y1)
        v = Y1[t] * s1 + v;
    if (Y2)
        v = Y2[t] * s2 + v;
    if (a)
        v += a[c] * p[i];
    if (b)
        v += b[c] * q[i];
    out[t] = v;
}

// One block per output row: each thread sums a fixed strided subset in double, then a fixed
// shared-memory tree. No atomics, so the result does not depend on scheduling.
__global__ void rowDotsKernel(const float* __restrict__ X, const float* __restrict__ Y, int yRowStride, int n,
                              double* __restrict__ out)
{
    __shared__ double part[kThreads];
    const int r = blockIdx.x;
    const float* x = X + (size_t)r * n;
    const float* y = Y ? Y + (size_t)r * yRowStride : nullptr;
    double acc = 0;
    for (int i = threadIdx.x; i < n; i += kThreads)
        acc += y ? (double)x[i] * (double)y[i] : (double)x[i];
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1)
    {
        if (threadIdx.x < s)
            part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[r] = part[0];
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

void compatLogits(const float* wrow, const float* F, int C, int N, float* z)
{
    if (N <= 0)
        return;
    logitsKernel<<<blocksFor(N), kThreads>>>(wrow, F, C, N, z);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void halfSquaredNorms(const float* e, int D, int N, float* hn)
{
    if (N <= 0)
        return;
    halfNormKernel<<<blocksFor(N), kThreads>>>(e, D, N, hn);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void sigmoidRow(const float* z, int N, float* mu)
{
    if (N <= 0)
        return;
    sigmoidKernel<<<blocksFor(N), kThreads>>>(z, N, mu);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void scale(const float* x, float s, size_t n, float* y)
{
    if (n == 0)
        return;
    scaleKernel<<<blocksFor(n), kThreads>>>(x, s, n, y);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void combine(const float* X, const float* Y1, float s1, const float* Y2, float s2,
             const float* a, const float* p, const float* b, const float* q, int C, int N, float* out)
{
    const size_t n = (size_t)C * N;
    if (n == 0)
        return;
    CV_Assert((a == nullptr) == (p == nullptr) && (b == nullptr) == (q == nullptr));
    combineKernel<<<blocksFor(n), kThreads>>>(X, Y1, s1, Y2, s2, a, p, b, q, C, N, out);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void rowDots(const float* X, const float* Y, int yRowStride, int R, int n, double* out)
{
    if (R <= 0)
        return;
    rowDotsKernel<<<(unsigned)R, kThreads>>>(X, Y, yRowStride, n, out);
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
