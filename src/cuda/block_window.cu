// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Windowed pairwise message of the ES-CRF block on the GPU (CPU twin: src/block/block_window.cpp).
// One thread per cell, the CPU's steps per (cell, offset, channel), but not bit-identical to
// it: the Gaussian kernel subtracts hn[i] + hn[j] where the CPU subtracts them one at a time,
// the half-norms and dot products may sum in another order or with FMA contraction, and expf
// differs from std::exp in the last bits: tests compare with tolerances. The backward pass is
// a gather, as on the CPU: the window is symmetric (j = i + offset <=> i = j - offset), so
// pass 1 (over i) stores the per-pair gradients and pass 2 (over j) collects them from the
// cells whose window holds j. No atomics: deterministic.

#include "cuda/block_kernels.hpp"

namespace cv {
namespace escrf {
namespace cuda {
namespace blockgpu {

namespace {

// Cell at (y, x) + sign * offset o of the k x k window of dilation d, or -1 outside the map.
__device__ __forceinline__ int neighbour(int y, int x, int o, int sign, const WindowArgs& a)
{
    const int r = a.window / 2;
    const int yy = y + sign * (o / a.window - r) * a.dilation;
    const int xx = x + sign * (o % a.window - r) * a.dilation;
    return (yy < 0 || yy >= a.h || xx < 0 || xx >= a.w) ? -1 : yy * a.w + xx;
}

__global__ void windowForwardKernel(const WindowArgs a, float* __restrict__ Fp, float* __restrict__ pairs)
{
    const int N = a.h * a.w, K = a.window * a.window;
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N)
        return;
    const int y = i / a.w, x = i % a.w;
    float* kw = pairs + i;                    // kw[o * N]: this thread's own entries only
    float* mw = pairs + (size_t)K * N + i;
    float smax = -INFINITY;
    for (int o = 0; o < K; o++)
    {
        const int j = neighbour(y, x, o, +1, a);
        float s = 0.f;
        if (j >= 0)
        {
            for (int d = 0; d < a.D; d++)
                s += a.e[(size_t)d * N + i] * a.e[(size_t)d * N + j];
            if (a.gaussian)   // -|e_i - e_j|^2 / 2
                s -= a.halfNorm[i] + a.halfNorm[j];
            smax = fmaxf(smax, s * a.invTau);
        }
        kw[(size_t)o * N] = s;
    }
    if (a.normalize)
    {
        // Out-of-map neighbours are not part of G(i): left out of Z_i, weight 0. The centre is
        // always in the map, so smax is finite and Z >= 1.
        float Z = 0.f;
        for (int o = 0; o < K; o++)
            if (neighbour(y, x, o, +1, a) >= 0)
            {
                const float t = expf(kw[(size_t)o * N] * a.invTau - smax);
                kw[(size_t)o * N] = t;
                Z += t;
            }
        const float invZ = 1.f / Z;
        for (int o = 0; o < K; o++)
            kw[(size_t)o * N] *= invZ;
    }
    else if (a.gaussian)
    {
        for (int o = 0; o < K; o++)
            if (neighbour(y, x, o, +1, a) >= 0)
                kw[(size_t)o * N] = expf(kw[(size_t)o * N]);
    }
    for (int o = 0; o < K; o++)
    {
        const int j = neighbour(y, x, o, +1, a);
        float m = 0.f;
        if (j >= 0)
            m = a.pair ? sigmoidDev(a.u[i] + a.v[j] + a.c) : a.mu[j];
        mw[(size_t)o * N] = m;
    }
    for (int ch = 0; ch < a.C; ch++)
    {
        const float* Fc = a.F + (size_t)ch * N;
        float acc = 0.f;
        for (int o = 0; o < K; o++)
        {
            const int j = neighbour(y, x, o, +1, a);
            if (j >= 0)
                acc += (mw[(size_t)o * N] * kw[(size_t)o * N]) * Fc[j];
        }
        Fp[(size_t)ch * N + i] = acc;
    }
}

// Pass 1, over i: dK (then d score) and dz of every pair (i, o) into dpair, du_i, and the part
// of de_i that belongs to i (sum_o dscore(i,o) e_j).
__global__ void windowBackwardPass1(const WindowArgs a, const float* __restrict__ pairs,
                                    const float* __restrict__ g, float* __restrict__ de,
                                    float* __restrict__ dpair, float* __restrict__ du)
{
    const int N = a.h * a.w, K = a.window * a.window;
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N)
        return;
    const int y = i / a.w, x = i % a.w;
    const float* kw = pairs + i;
    const float* mw = pairs + (size_t)K * N + i;
    float* ds = dpair + i;                    // own entries only, as in the forward kernel
    float* dz = dpair + (size_t)K * N + i;
    float kdk = 0.f;
    for (int o = 0; o < K; o++)
    {
        const int j = neighbour(y, x, o, +1, a);
        if (j < 0)
        {
            ds[(size_t)o * N] = 0.f;
            dz[(size_t)o * N] = 0.f;
            continue;
        }
        float t = 0.f;
        for (int ch = 0; ch < a.C; ch++)
            t += g[(size_t)ch * N + i] * a.F[(size_t)ch * N + j];
        const float m = mw[(size_t)o * N], k = kw[(size_t)o * N];
        const float dK = m * t;
        ds[(size_t)o * N] = dK;                // dK for now, d score below
        dz[(size_t)o * N] = k * t * m * (1.f - m);
        kdk += k * dK;
    }
    float dui = 0.f, dsSum = 0.f;
    for (int o = 0; o < K; o++)
    {
        const float dK = ds[(size_t)o * N];
        ds[(size_t)o * N] = a.normalize ? kw[(size_t)o * N] * (dK - kdk) * a.invTau
                                        : a.gaussian ? kw[(size_t)o * N] * dK : dK;
        if (neighbour(y, x, o, +1, a) >= 0)
        {
            dui += dz[(size_t)o * N];
            dsSum += ds[(size_t)o * N];
        }
    }
    du[i] = dui;
    for (int d = 0; d < a.D; d++)
    {
        float acc = 0.f;
        for (int o = 0; o < K; o++)
        {
            const int j = neighbour(y, x, o, +1, a);
            if (j >= 0)
                acc += ds[(size_t)o * N] * a.e[(size_t)d * N + j];
        }
        if (a.gaussian)   // d score / d e_i = e_j - e_i
            acc -= dsSum * a.e[(size_t)d * N + i];
        de[(size_t)d * N + i] = acc;
    }
}

// Pass 2, over j: gather from every i with j in G(i) (i = j - offset): the direct term
// sum_i mu K g_i, the rest of de_j, and dv_j. Thread j writes only column j.
__global__ void windowBackwardPass2(const WindowArgs a, const float* __restrict__ pairs,
                                    const float* __restrict__ g, const float* __restrict__ dpair,
                                    float* __restrict__ dFdirect, float* __restrict__ de,
                                    float* __restrict__ dv)
{
    const int N = a.h * a.w, K = a.window * a.window;
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= N)
        return;
    const int y = j / a.w, x = j % a.w;
    for (int ch = 0; ch < a.C; ch++)
    {
        float acc = 0.f;
        for (int o = 0; o < K; o++)
        {
            const int i = neighbour(y, x, o, -1, a);
            if (i >= 0)
                acc += (pairs[(size_t)o * N + i] * pairs[(size_t)(K + o) * N + i]) * g[(size_t)ch * N + i];
        }
        dFdirect[(size_t)ch * N + j] = acc;
    }
    float dsSum = 0.f;   // Gaussian kernel: d score / d e_j = e_i - e_j
    if (a.gaussian)
        for (int o = 0; o < K; o++)
        {
            const int i = neighbour(y, x, o, -1, a);
            if (i >= 0)
                dsSum += dpair[(size_t)o * N + i];
        }
    for (int d = 0; d < a.D; d++)
    {
        float acc = de[(size_t)d * N + j];
        for (int o = 0; o < K; o++)
        {
            const int i = neighbour(y, x, o, -1, a);
            if (i >= 0)
                acc += dpair[(size_t)o * N + i] * a.e[(size_t)d * N + i];
        }
        if (a.gaussian)
            acc -= dsSum * a.e[(size_t)d * N + j];
        de[(size_t)d * N + j] = acc;
    }
    float dvj = 0.f;
    for (int o = 0; o < K; o++)
    {
        const int i = neighbour(y, x, o, -1, a);
        if (i >= 0)
            dvj += dpair[(size_t)(K + o) * N + i];
    }
    dv[j] = dvj;
}

} // namespace

void windowForward(const WindowArgs& a, float* Fp, float* pairs)
{
    const int N = a.N();
    if (N <= 0)
        return;
    windowForwardKernel<<<divUp(N, kThreads), kThreads>>>(a, Fp, pairs);
    ESCRF_CUDA_CHECK_LAUNCH();
}

void windowBackward(const WindowArgs& a, const float* pairs, const float* g, float* dFdirect,
                    float* de, float* dpair, float* du, float* dv)
{
    const int N = a.N();
    if (N <= 0)
        return;
    // Pass 2 reads dpair entries of other cells: the kernel boundary orders the two passes.
    windowBackwardPass1<<<divUp(N, kThreads), kThreads>>>(a, pairs, g, de, dpair, du);
    ESCRF_CUDA_CHECK_LAUNCH();
    windowBackwardPass2<<<divUp(N, kThreads), kThreads>>>(a, pairs, g, dpair, dFdirect, de, dv);
    ESCRF_CUDA_CHECK_LAUNCH();
}

}}}} // namespace cv::escrf::cuda::blockgpu
