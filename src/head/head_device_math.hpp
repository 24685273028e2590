// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The per-element math of the head's GPU path (bilinear resize and its adjoint, bias and ReLU,
// softmax cross-entropy, argmax), written once as __host__ __device__ functors over planar
// C x N float tensors. src/cuda/head_pipeline.cu launches them one thread per item; the host
// emulation (src/head/head_emulation.cpp) calls the very same functors in loops, so a machine
// without a GPU tests the GPU arithmetic against the CPU head. Float operations are explicitly
// rounded (no FMA contraction on the device) and every item is computed by one thread in a
// fixed order (gathers, no atomics), as the CPU code orders its sums.
// Compiles as plain C++ (no CUDA headers needed).
#ifndef OPENCV_ESCRF_HEAD_DEVICE_MATH_HPP
#define OPENCV_ESCRF_HEAD_DEVICE_MATH_HPP

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/rounded_ops.hpp"

#define ESCRF_HEAD_HD ESCRF_HD

namespace cv {
namespace escrf {
namespace headdev {

// ---------------------------------------------------------------- explicitly rounded operations

using rounded::mulRn;
using rounded::addRn;
using rounded::subRn;
using rounded::dmulRn;
using rounded::daddRn;
using rounded::dsubRn;

ESCRF_HEAD_HD float expF(float v)
{
#ifdef __CUDA_ARCH__
    return expf(v);   // full precision (not __expf); within 2 ulp of the host's std::exp
#else
    return std::exp(v);
#endif
}
ESCRF_HEAD_HD double logD(double v)
{
#ifdef __CUDA_ARCH__
    return log(v);
#else
    return std::log(v);
#endif
}

// ---------------------------------------------------------------- bilinear resize

/** Two-tap interpolation tables along one axis (cv::resize INTER_LINEAR coordinates, built on
the host by makeAxisTaps): destination d reads sources i0[d], i1[d] with weights w0[d], w1[d];
source s is read by the destinations [begin[s], end[s]) (a contiguous range, the taps being
monotone), which lets the adjoint gather instead of scatter. */
struct AxisTapsView
{
    const int* i0;
    const int* i1;
    const float* w0;
    const float* w1;
    const int* begin;
    const int* end;
};

/** dst (C x dh*dw) = bilinear resize of each plane of src (C x sh*sw); item i = c*dh*dw + y*dw + x.
Rounding as cv::resize on CV_32F: t_r = s(r, x0) a0 + s(r, x1) a1 per source row, then
t_0 b0 + t_1 b1. */
struct ResizePlanes
{
    const float* src;
    float* dst;
    int sw, sh, dw, dh;
    AxisTapsView tx, ty;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int dn = dw * dh;
        const int c = i / dn, p = i - c * dn, y = p / dw, x = p - y * dw;
        const float* s = src + (size_t)c * sw * sh;
        const float* r0 = s + (size_t)ty.i0[y] * sw;
        const float* r1 = s + (size_t)ty.i1[y] * sw;
        const int x0 = tx.i0[x], x1 = tx.i1[x];
        const float a0 = tx.w0[x], a1 = tx.w1[x];
        const float t0 = addRn(mulRn(r0[x0], a0), mulRn(r0[x1], a1));
        const float t1 = addRn(mulRn(r1[x0], a0), mulRn(r1[x1], a1));
        dst[i] = addRn(mulRn(t0, ty.w0[y]), mulRn(t1, ty.w1[y]));
    }
};

/** First half of the resize adjoint, along x: tmp (C x dh x sw) gathers g (C x dh x dw) into
source columns; item i = (c*dh + yd)*sw + xs. Destinations in increasing order, tap 0 before
tap 1, as the CPU scatter (src/head/bilinear.cpp) adds them. */
struct AdjointAlongX
{
    const float* g;
    float* tmp;
    int sw, dw, rows;   // rows = C * dh
    AxisTapsView tx;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int r = i / sw, xs = i - r * sw;
        const float* grow = g + (size_t)r * dw;
        float acc = 0.f;
        for (int xd = tx.begin[xs]; xd < tx.end[xs]; xd++)
        {
            if (tx.i0[xd] == xs)
                acc = addRn(acc, mulRn(tx.w0[xd], grow[xd]));
            if (tx.i1[xd] == xs)
                acc = addRn(acc, mulRn(tx.w1[xd], grow[xd]));
        }
        tmp[i] = acc;
    }
};

/** Second half, along y: out (C x sh x sw) gathers tmp (C x dh x sw); item i = (c*sh + ys)*sw + xs. */
struct AdjointAlongY
{
    const float* tmp;
    float* out;
    int sw, sh, dh;
    AxisTapsView ty;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int sn = sw * sh;
        const int c = i / sn, p = i - c * sn, ys = p / sw, xs = p - ys * sw;
        const float* t = tmp + (size_t)c * dh * sw + xs;
        float acc = 0.f;
        for (int yd = ty.begin[ys]; yd < ty.end[ys]; yd++)
        {
            if (ty.i0[yd] == ys)
                acc = addRn(acc, mulRn(ty.w0[yd], t[(size_t)yd * sw]));
            if (ty.i1[yd] == ys)
                acc = addRn(acc, mulRn(ty.w1[yd], t[(size_t)yd * sw]));
        }
        out[i] = acc;
    }
};

// ---------------------------------------------------------------- elementwise

//! y[i] = y[i] + x[i].
struct Accumulate
{
    float* y;
    const float* x;
    ESCRF_HEAD_HD void operator()(int i) const { y[i] = addRn(y[i], x[i]); }
};

//! X[i] += b[row of i] for a R x n matrix; with F != null also F[i] = relu ? max(X[i], 0) : X[i].
struct RowBiasAct
{
    float* X;
    const float* b;
    float* F;
    int n;
    bool relu;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const float z = addRn(X[i], b[i / n]);
        X[i] = z;
        if (F)
            F[i] = relu ? (z > 0.f ? z : 0.f) : z;
    }
};

//! dZ[i] = Z[i] > 0 ? dF[i] : 0 (the ReLU's backward).
struct ReluBackward
{
    const float* Z;
    const float* dF;
    float* dZ;
    ESCRF_HEAD_HD void operator()(int i) const { dZ[i] = Z[i] > 0.f ? dF[i] : 0.f; }
};

//! p[i] = v.
struct Fill
{
    float* p;
    float v;
    ESCRF_HEAD_HD void operator()(int i) const { p[i] = v; }
};

// ---------------------------------------------------------------- loss

/** Softmax cross-entropy of pixel i of K x N logits z (at the label map's size): with t =
labels[i] in [0, K) (and not ignoreLabel), loss[i] = w_t (log sum_k exp(z_k - m) - (z_t - m))
(m the maximum, the sum in double) and dz[k][i] = w_t (softmax_k - [k == t]); otherwise
loss[i] = weight[i] = 0 and dz[.][i] = 0. As src/train/loss.cpp, term for term. */
struct SoftmaxCrossEntropy
{
    const float* z;
    const int* labels;
    const float* classWeights;   // K entries, or null for all 1
    float* dz;
    double* loss;
    double* weight;
    int K, N, ignoreLabel;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int t = labels[i];
        if (t == ignoreLabel || t < 0 || t >= K)
        {
            for (int k = 0; k < K; k++)
                dz[(size_t)k * N + i] = 0.f;
            loss[i] = 0.0;
            weight[i] = 0.0;
            return;
        }
        float m = -FLT_MAX;
        for (int k = 0; k < K; k++)
        {
            const float v = z[(size_t)k * N + i];
            m = m < v ? v : m;   // std::max(m, v)
        }
        double s = 0;
        for (int k = 0; k < K; k++)
        {
            const float p = expF(subRn(z[(size_t)k * N + i], m));
            dz[(size_t)k * N + i] = p;   // the probabilities' numerators, normalised below
            s = daddRn(s, (double)p);
        }
        const float w = classWeights ? classWeights[t] : 1.f;
        loss[i] = dmulRn((double)w, dsubRn(logD(s), (double)subRn(z[(size_t)t * N + i], m)));
        weight[i] = (double)w;
        const float inv = (float)(1.0 / s);
        for (int k = 0; k < K; k++)
        {
            float* d = dz + (size_t)k * N + i;
            *d = mulRn(w, subRn(mulRn(*d, inv), k == t ? 1.f : 0.f));
        }
    }
};

/** Row y of the label map (width W): the sums of loss and weight in increasing x (as the CPU
sums a row) and the first label that is neither in [0, K) nor ignoreLabel (bad[y] = 1). */
struct LossRows
{
    const double* loss;
    const double* weight;
    const int* labels;
    double* rowLoss;
    double* rowWeight;
    int* bad;
    int* badValue;
    int W, K, ignoreLabel;
    ESCRF_HEAD_HD void operator()(int y) const
    {
        double l = 0, w = 0;
        int b = 0, v = 0;
        for (int x = 0; x < W; x++)
        {
            const size_t i = (size_t)y * W + x;
            l = daddRn(l, loss[i]);
            w = daddRn(w, weight[i]);
            const int t = labels[i];
            if (!b && t != ignoreLabel && (t < 0 || t >= K))
                b = 1, v = t;
        }
        rowLoss[y] = l;
        rowWeight[y] = w;
        bad[y] = b;
        badValue[y] = v;
    }
};

// ---------------------------------------------------------------- output

/** Label of pixel i of an ow x oh map: the argmax over K planes of scores (planes of sw x sh,
sw >= ow, sh >= oh: the top-left ow x oh crop is read); ties go to the lowest class. Writes
out8 or out32 (the other is null). */
struct ArgmaxPlanes
{
    const float* scores;
    uint8_t* out8;
    int* out32;
    int K, sw, sh, ow;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int y = i / ow, x = i - y * ow;
        const size_t plane = (size_t)sw * sh, at = (size_t)y * sw + x;
        float best = scores[at];
        int arg = 0;
        for (int k = 1; k < K; k++)
        {
            const float s = scores[k * plane + at];
            if (s > best)
                best = s, arg = k;
        }
        if (out8)
            out8[i] = (uint8_t)arg;
        else
            out32[i] = arg;
    }
};

//! dst (C x oh*ow) = the top-left ow x oh crop of each plane of src (C x sh*sw).
struct CropPlanes
{
    const float* src;
    float* dst;
    int sw, sh, ow, oh;
    ESCRF_HEAD_HD void operator()(int i) const
    {
        const int on = ow * oh;
        const int c = i / on, p = i - c * on, y = p / ow, x = p - y * ow;
        dst[i] = src[(size_t)c * sw * sh + (size_t)y * sw + x];
    }
};

}}} // namespace cv::escrf::headdev

#endif
