// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The per-pixel and per-centre math of the GPU superpixel pipeline (blur, BGR->Lab, SLIC
// assignment, centre update, connectivity), written once as __host__ __device__ functors.
// src/cuda/slic_pipeline.cu launches them as CUDA kernels (one thread per pixel or centre); the CPU
// emulation (src/superpixels/slic_emulation.cpp) calls the very same functors in loops, so a
// machine without a GPU tests the GPU arithmetic. Every step is order independent: integer
// sums and maxima (atomics on the device, plain adds on the host), Jacobi iterations
// (read one buffer, write another) and explicitly rounded float operations (no FMA
// contraction), so device and emulation give bit-identical results.
// Compiles as plain C++ (no CUDA headers needed).
#ifndef OPENCV_ESCRF_SLIC_DEVICE_MATH_HPP
#define OPENCV_ESCRF_SLIC_DEVICE_MATH_HPP

#include <cstdint>
#include <cstring>

#include "core/rounded_ops.hpp"   // ESCRF_HD, mulRn, addRn, subRn, divRn

namespace cv {
namespace escrf {
namespace slicdev {

// ---------------------------------------------------------------- rounding and atomics

using rounded::mulRn;
using rounded::addRn;
using rounded::subRn;
using rounded::divRn;

//! *p += v: an integer atomic on the device (exact, so the order of the threads does not matter).
ESCRF_HD void addU64(unsigned long long* p, unsigned long long v)
{
#ifdef __CUDA_ARCH__
    atomicAdd(p, v);
#else
    *p += v;
#endif
}
ESCRF_HD void addI32(int* p, int v)
{
#ifdef __CUDA_ARCH__
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

//! *p = max(*p, bits of v) for v >= 0: non-negative floats order like their bit patterns.
ESCRF_HD void maxNonNegativeFloat(unsigned int* p, float v)
{
#ifdef __CUDA_ARCH__
    atomicMax(p, __float_as_uint(v));
#else
    unsigned int bits;
    std::memcpy(&bits, &v, sizeof(bits));
    if (bits > *p)
        *p = bits;
#endif
}
ESCRF_HD float floatFromBits(unsigned int bits)
{
#ifdef __CUDA_ARCH__
    return __uint_as_float(bits);
#else
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
#endif
}

//! A set flag (any thread may write 1; the host reads it after the launch).
ESCRF_HD void raiseFlag(int* flag) { *flag = 1; }

// ---------------------------------------------------------------- Gaussian blur (8-bit)

//! cv::BORDER_REFLECT_101 (cv::borderInterpolate): gfedcb|abcdefgh|gfedcba.
ESCRF_HD int reflect101(int p, int n)
{
    if (n == 1)
        return 0;
    while (p < 0 || p >= n)
        p = p < 0 ? -p : 2 * n - 2 - p;
    return p;
}

enum { kMaxBlurRadius = 3 };

/** A separable kernel in 1/256 units (sum 256), radius <= kMaxBlurRadius. For ksize 3, 5, 7 and
sigma 0 these are OpenCV's exact small kernels, and cv::GaussianBlur on 8-bit images computes
out = (sum_ij kx_i ky_j p_ij + 2^15) >> 16 without intermediate rounding (its bit-exact
fixed-point path), which is what the two passes below compute. */
struct BlurKernel
{
    int radius;
    int w[2 * kMaxBlurRadius + 1];
};

//! Horizontal pass at (x, y): tmp = sum_i k_i src(x + i - r), 3 channels, exact integers.
struct BlurRows
{
    const uint8_t* src;
    int* tmp;
    int W, H;
    BlurKernel k;
    ESCRF_HD void operator()(int x, int y) const
    {
        const uint8_t* row = src + (size_t)y * W * 3;
        int s0 = 0, s1 = 0, s2 = 0;
        for (int i = -k.radius; i <= k.radius; i++)
        {
            const uint8_t* p = row + 3 * reflect101(x + i, W);
            const int w = k.w[i + k.radius];
            s0 += w * p[0]; s1 += w * p[1]; s2 += w * p[2];
        }
        int* out = tmp + ((size_t)y * W + x) * 3;
        out[0] = s0; out[1] = s1; out[2] = s2;
    }
};

//! Vertical pass at (x, y) and the rounding to 8 bits.
struct BlurCols
{
    const int* tmp;
    uint8_t* dst;
    int W, H;
    BlurKernel k;
    ESCRF_HD void operator()(int x, int y) const
    {
        int s0 = 0, s1 = 0, s2 = 0;
        for (int j = -k.radius; j <= k.radius; j++)
        {
            const int* p = tmp + ((size_t)reflect101(y + j, H) * W + x) * 3;
            const int w = k.w[j + k.radius];
            s0 += w * p[0]; s1 += w * p[1]; s2 += w * p[2];
        }
        // s <= 255 * 2^16, so the rounded value never exceeds 255.
        uint8_t* out = dst + ((size_t)y * W + x) * 3;
        out[0] = (uint8_t)((s0 + (1 << 15)) >> 16);
        out[1] = (uint8_t)((s1 + (1 << 15)) >> 16);
        out[2] = (uint8_t)((s2 + (1 << 15)) >> 16);
    }
};

// ---------------------------------------------------------------- BGR -> Lab (8-bit)

enum { kLabShift = 12, kGammaShift = 3, kLabShift2 = kLabShift + kGammaShift, kCbrtTabSize = 256 * 3 / 2 * (1 << kGammaShift) };

/** Integer tables of the 8-bit BGR->Lab conversion (OpenCV's fixed-point RGB2Lab_b scheme:
sRGB gamma in 1/8 levels, the XYZ matrix scaled by the white point in 1/4096, f(t) in 1/2^15).
Built on the host by makeLabTables (double precision), read by the device. */
struct LabTables
{
    uint16_t gamma[256];
    uint16_t cbrt[kCbrtTabSize];
    int coeffs[9];  //!< X, Y, Z rows; B, G, R columns
};

ESCRF_HD int descale(int v, int n) { return (v + (1 << (n - 1))) >> n; }
ESCRF_HD uint8_t saturateU8(int v) { return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v)); }
ESCRF_HD int clampCbrtIndex(int v) { return v < 0 ? 0 : (v >= kCbrtTabSize ? kCbrtTabSize - 1 : v); }

/** Lab of one BGR pixel (L * 255/100, a + 128, b + 128, rounded), as cv::COLOR_BGR2Lab scales
8-bit Lab. The coefficients come by value so that a CPU loop keeps them in registers (the byte
stores would otherwise force a reload at every pixel). */
ESCRF_HD void bgrToLabPixel(const uint8_t* p, uint8_t* out, const uint16_t* gamma, const uint16_t* cbrt,
                            const int C0, const int C1, const int C2, const int C3, const int C4,
                            const int C5, const int C6, const int C7, const int C8)
{
    const int B = gamma[p[0]], G = gamma[p[1]], R = gamma[p[2]];
    const int fX = cbrt[clampCbrtIndex(descale(B * C0 + G * C1 + R * C2, kLabShift))];
    const int fY = cbrt[clampCbrtIndex(descale(B * C3 + G * C4 + R * C5, kLabShift))];
    const int fZ = cbrt[clampCbrtIndex(descale(B * C6 + G * C7 + R * C8, kLabShift))];
    const int Lscale = (116 * 255 + 50) / 100;
    const int Lshift = -((16 * 255 * (1 << kLabShift2) + 50) / 100);
    out[0] = saturateU8(descale(Lscale * fY + Lshift, kLabShift2));
    out[1] = saturateU8(descale(500 * (fX - fY) + 128 * (1 << kLabShift2), kLabShift2));
    out[2] = saturateU8(descale(200 * (fY - fZ) + 128 * (1 << kLabShift2), kLabShift2));
}

//! Lab of pixel (x, y) of a W-wide BGR image (bgrToLabPixel).
struct BgrToLab
{
    const uint8_t* bgr;
    uint8_t* lab;
    const LabTables* t;
    int W;
    ESCRF_HD void operator()(int x, int y) const
    {
        const size_t i = (size_t)y * W + x;
        const int* C = t->coeffs;
        bgrToLabPixel(bgr + 3 * i, lab + 3 * i, t->gamma, t->cbrt, C[0], C[1], C[2], C[3], C[4], C[5], C[6], C[7], C[8]);
    }
};

// ---------------------------------------------------------------- SLIC

/** SLIC grid cell of a pixel and the middle pixel of a cell, as detail::makeSlicGrid and
detail::initSlicCentres define them (64-bit integer arithmetic). */
ESCRF_HD int gridCell(int p, int g, int n) { return (int)((long long)p * g / n); }
ESCRF_HD int cellMiddle(int i, int g, int n) { return (int)(((long long)(2 * i + 1) * n) / (2 * g)); }

/** The cells whose centres pixel p (in cell c of g along an axis of n pixels) is compared with:
c - 1 and c before the middle of c, c and c + 1 from the middle on (clipped to the grid). So a
pixel has the (up to) 2 x 2 centres whose initial positions surround it, and a centre competes
for the pixels within S of its initial position, as in SLIC's 2S x 2S search window. */
ESCRF_HD void candidateCells(int p, int c, int g, int n, int& first, int& last)
{
    if (p < cellMiddle(c, g, n))
    {
        first = c > 0 ? c - 1 : 0;
        last = c;
    }
    else
    {
        first = c;
        last = c + 1 < g ? c + 1 : g - 1;
    }
}

//! Centre k = Lab and position of the middle pixel of its grid cell (row k of K x 5 floats).
struct SlicInitCentre
{
    const uint8_t* lab;
    float* centres;
    int W, H, gx, gy;
    ESCRF_HD void operator()(int k) const
    {
        const int i = k % gx, j = k / gx;
        const int x = cellMiddle(i, gx, W), y = cellMiddle(j, gy, H);
        const uint8_t* p = lab + ((size_t)y * W + x) * 3;
        float* c = centres + 5 * k;
        c[0] = p[0]; c[1] = p[1]; c[2] = p[2];
        c[3] = (float)x; c[4] = (float)y;
    }
};

//! Squared Lab distance of a pixel (p0, p1, p2) to centre c (L, a, b first), in this operation order.
ESCRF_HD float slicColorDist2(float p0, float p1, float p2, const float* c)
{
    const float dl = subRn(p0, c[0]), da = subRn(p1, c[1]), db = subRn(p2, c[2]);
    return addRn(addRn(mulRn(dl, dl), mulRn(da, da)), mulRn(db, db));
}

/** Assignment: the nearest of the (up to) 2x2 candidate centres of the pixel (candidateCells),
d = dc2 * invColor[k] + ds2 * invSpatial, lowest index on ties. The CPU path
(src/superpixels/slic_cpu_assign.cpp) computes the same operations in the same order with SIMD. */
struct SlicAssign
{
    const uint8_t* lab;
    const float* centres;
    const float* invColor;
    int* labels;
    int W, H, gx, gy;
    float invSpatial;
    ESCRF_HD void operator()(int x, int y) const
    {
        const size_t idx = (size_t)y * W + x;
        const float p0 = lab[3 * idx], p1 = lab[3 * idx + 1], p2 = lab[3 * idx + 2];
        float best = 3.402823466e+38f;
        int bestK = -1;
        int i0, i1, j0, j1;
        candidateCells(x, gridCell(x, gx, W), gx, W, i0, i1);
        candidateCells(y, gridCell(y, gy, H), gy, H, j0, j1);
        for (int j = j0; j <= j1; j++)
            for (int i = i0; i <= i1; i++)
            {
                const int k = j * gx + i;
                const float* c = centres + 5 * k;
                const float dc2 = slicColorDist2(p0, p1, p2, c);
                const float dx = subRn((float)x, c[3]), dy = subRn((float)y, c[4]);
                const float ds2 = addRn(mulRn(dx, dx), mulRn(dy, dy));
                const float d = addRn(mulRn(dc2, invColor[k]), mulRn(ds2, invSpatial));
                if (d < best)
                {
                    best = d;
                    bestK = k;
                }
            }
        labels[idx] = bestK;
    }
};

enum { kSlicSums = 6 };  // L, a, b, x, y, count per centre

//! Centre update, pass 1: integer sums per centre (exact in 64 bits, any order).
struct SlicAccumulate
{
    const uint8_t* lab;
    const int* labels;
    unsigned long long* sums;  // K x kSlicSums, zeroed before
    int W;
    ESCRF_HD void operator()(int x, int y) const
    {
        const size_t idx = (size_t)y * W + x;
        unsigned long long* s = sums + (size_t)labels[idx] * kSlicSums;
        const uint8_t* p = lab + 3 * idx;
        addU64(s + 0, p[0]); addU64(s + 1, p[1]); addU64(s + 2, p[2]);
        addU64(s + 3, (unsigned long long)x); addU64(s + 4, (unsigned long long)y);
        addU64(s + 5, 1ull);
    }
};

/** Centre update, pass 2: mean = (float)(sum / count) in double, as detail::slicUpdateCentres
(whose double sums are exact integers too); a centre without pixels keeps its value. */
struct SlicFinishCentre
{
    const unsigned long long* sums;
    float* centres;
    ESCRF_HD void operator()(int k) const
    {
        const unsigned long long* s = sums + (size_t)k * kSlicSums;
        if (s[5] == 0)
            return;
        const double n = (double)s[5];
        for (int t = 0; t < 5; t++)
            centres[5 * k + t] = (float)((double)s[t] / n);
    }
};

//! SLICO, pass 3: per centre the largest squared Lab distance of its pixels to the new centre.
struct SlicMaxColorDist
{
    const uint8_t* lab;
    const int* labels;
    const float* centres;
    unsigned int* maxBits;  // K floats as bits, zeroed before
    int W;
    ESCRF_HD void operator()(int x, int y) const
    {
        const size_t idx = (size_t)y * W + x;
        const int k = labels[idx];
        const float* c = centres + 5 * k;
        const uint8_t* p = lab + 3 * idx;
        maxNonNegativeFloat(maxBits + k, slicColorDist2(p[0], p[1], p[2], c));
    }
};

//! SLICO, pass 4: invColor[k] = 1 / max(maxDc2[k], 1).
struct SlicInvColor
{
    const unsigned int* maxBits;
    float* invColor;
    ESCRF_HD void operator()(int k) const
    {
        const float m = floatFromBits(maxBits[k]);
        invColor[k] = divRn(1.f, m > 1.f ? m : 1.f);
    }
};

// ---------------------------------------------------------------- connectivity

/* detail::enforceLabelConnectivity scans pixels in raster order; the first pixel r of each
4-connected piece decides: the piece is absorbed when it has fewer than minSize pixels and r has
an anchor, the pixel left of r (or above it when r starts a row; none for pixel 0); it then takes
the final label of the anchor's piece. Equivalently, as below: (1) label every piece by its
raster-first pixel (min propagation to a fixed point, which is unique), (2) count piece sizes,
(3) parent(r) = root of the anchor's piece for absorbed pieces, r otherwise, (4) follow parents
(pointer jumping) to a kept piece. The output label is the kept piece's first pixel index; the
raster-order renumbering then gives the CPU labels exactly. */

struct CcInit
{
    int* comp;
    ESCRF_HD void operator()(int i) const { comp[i] = i; }
};

//! One Jacobi step of min propagation over same-label 4-neighbours, with pointer jumping.
struct CcPropagate
{
    const int* labels;
    const int* cur;
    int* next;
    int* changed;
    int W, H;
    ESCRF_HD void operator()(int x, int y) const
    {
        const int i = y * W + x;
        const int l = labels[i];
        int m = cur[i];
        const int jump = cur[m];
        if (jump < m)
            m = jump;
        if (x > 0 && labels[i - 1] == l && cur[i - 1] < m) m = cur[i - 1];
        if (y > 0 && labels[i - W] == l && cur[i - W] < m) m = cur[i - W];
        if (x + 1 < W && labels[i + 1] == l && cur[i + 1] < m) m = cur[i + 1];
        if (y + 1 < H && labels[i + W] == l && cur[i + W] < m) m = cur[i + W];
        next[i] = m;
        if (m != cur[i])
            raiseFlag(changed);
    }
};

struct CcCount
{
    const int* comp;
    int* size;  // zeroed before
    ESCRF_HD void operator()(int i) const { addI32(size + comp[i], 1); }
};

struct CcParent
{
    const int* comp;
    const int* size;
    int* parent;
    int W, minSize;
    ESCRF_HD void operator()(int x, int y) const
    {
        const int i = y * W + x;
        if (comp[i] != i)
            return;  // not the first pixel of its piece
        const int anchor = x > 0 ? i - 1 : (y > 0 ? i - W : -1);
        parent[i] = (size[i] < minSize && anchor >= 0) ? comp[anchor] : i;
    }
};

//! One Jacobi step of pointer jumping on the piece roots.
struct CcJump
{
    const int* comp;
    const int* cur;
    int* next;
    int* changed;
    ESCRF_HD void operator()(int i) const
    {
        if (comp[i] != i)
            return;
        const int p = cur[cur[i]];
        next[i] = p;
        if (p != cur[i])
            raiseFlag(changed);
    }
};

struct CcFinal
{
    const int* comp;
    const int* root;
    int* out;
    ESCRF_HD void operator()(int i) const { out[i] = root[comp[i]]; }
};

}}} // namespace cv::escrf::slicdev

#endif
