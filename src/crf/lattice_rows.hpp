// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The two row kernels of the permutohedral lattice, vectorised over the C values of a row with
// OpenCV's universal intrinsics: a weighted sum of rows (splat, slice) and the in-place
// [1/2 1 1/2] blur of a line of vertices. The operations are done in the order (and, without
// FMA hardware, with the roundings) of the plain scalar loops:
//   dst = ((0 + w_0 x_0) + w_1 x_1) + ...        new_t = (x_t + x_{t+1} / 2) + x_{t-1} / 2
#ifndef OPENCV_ESCRF_CRF_LATTICE_ROWS_HPP
#define OPENCV_ESCRF_CRF_LATTICE_ROWS_HPP

#include "opencv2/core.hpp"
#include "opencv2/core/hal/intrin.hpp"

#include <type_traits>

namespace cv {
namespace escrf {
namespace detail {

#if CV_SIMD
// The vector types of the blocks: the widest register (v_float32) and, where it is wider, one
// 128-bit register for the tail of a row whose length is a multiple of 4 but not of the wide
// register (12 labels on AVX2: one 8-lane and one 4-lane block instead of padding every row to
// 16). Same operations per lane in both.
inline v_float32 vzero(v_float32) { return vx_setzero_f32(); }
inline v_float32 vall(v_float32, float a) { return vx_setall_f32(a); }
inline v_float32 vload(v_float32, const float* p) { return vx_load(p); }
#if CV_SIMD_WIDTH > 16
inline v_float32x4 vzero(v_float32x4) { return v_setzero_f32(); }
inline v_float32x4 vall(v_float32x4, float a) { return v_setall_f32(a); }
inline v_float32x4 vload(v_float32x4, const float* p) { return v_load(p); }
#endif

//! Channels [c0, c0 + NV registers V) of gatherRows(); the sums stay in registers.
template<int NV, class V>
CV_ALWAYS_INLINE void gatherRowsBlock(const int* rows, const float* weights, int count, float scale, const float* src,
                            size_t C, int c0, float* dst)
{
    const int L = V::nlanes;
    V acc[NV];
    for (int i = 0; i < NV; i++)
        acc[i] = vzero(V());
    for (int e = 0; e < count; e++)
    {
        const V w = vall(V(), scale * weights[e]);
        const float* x = src + (size_t)rows[e] * C + c0;
        for (int i = 0; i < NV; i++)
            acc[i] = v_fma(w, vload(V(), x + i * L), acc[i]);
    }
    for (int i = 0; i < NV; i++)
        v_store(dst + c0 + i * L, acc[i]);
}

//! Channels [c0, c0 + NV registers V) of blurChain(); the previous vertex's old values stay in registers.
template<int NV, class V>
CV_ALWAYS_INLINE void blurChainBlock(const int* chain, int length, float* values, size_t C, int c0)
{
    const int L = V::nlanes;
    const V half = vall(V(), 0.5f), zero = vzero(V());
    V prev[NV], cur[NV];
    float* row = values + (size_t)chain[0] * C + c0;
    for (int i = 0; i < NV; i++)
        prev[i] = zero, cur[i] = vload(V(), row + i * L);
    for (int t = 0; t < length; t++)
    {
        float* nextRow = t + 1 < length ? values + (size_t)chain[t + 1] * C + c0 : nullptr;
        for (int i = 0; i < NV; i++)
        {
            const V next = nextRow ? vload(V(), nextRow + i * L) : zero;
            v_store(row + i * L, v_fma(half, prev[i], v_fma(half, next, cur[i])));
            prev[i] = cur[i];
            cur[i] = next;
        }
        row = nextRow;
    }
}
#endif

/** body(V(), k) over [0, n): whole wide registers first, then (where the wide register is wider)
 * 128-bit ones; returns the first index left for a scalar tail. For per-pixel loops over the
 * label rows, written once for both register types. */
template<class Body>
CV_ALWAYS_INLINE int forRowVectors(int n, const Body& body)
{
    int k = 0;
#if CV_SIMD
    for (; k + v_float32::nlanes <= n; k += v_float32::nlanes)
        body(v_float32(), k);
#if CV_SIMD_WIDTH > 16
    for (; k + v_float32x4::nlanes <= n; k += v_float32x4::nlanes)
        body(v_float32x4(), k);
#endif
#endif
    return k;
}

/** Runs block(nv, V(), c0) over [c0, C): blocks of at most 4 wide registers (V = v_float32), then,
 * where the wide register is wider, 128-bit ones (V = v_float32x4); returns the first channel left
 * for a scalar tail. */
template<class Block>
CV_ALWAYS_INLINE int forVectorBlocks(int C, const Block& block)
{
    int c0 = 0;
#if CV_SIMD
    const int L = v_float32::nlanes;
    const v_float32 wide;
    for (; c0 + 4 * L <= C; c0 += 4 * L)
        block(std::integral_constant<int, 4>(), wide, c0);
    switch ((C - c0) / L)
    {
    case 3: block(std::integral_constant<int, 3>(), wide, c0); c0 += 3 * L; break;
    case 2: block(std::integral_constant<int, 2>(), wide, c0); c0 += 2 * L; break;
    case 1: block(std::integral_constant<int, 1>(), wide, c0); c0 += L; break;
    default: break;
    }
#if CV_SIMD_WIDTH > 16
    for (; c0 + v_float32x4::nlanes <= C; c0 += v_float32x4::nlanes)
        block(std::integral_constant<int, 1>(), v_float32x4(), c0);
#endif
#endif
    return c0;
}

/** dst[c] = sum_e (scale * weights[e]) * src[rows[e] * C + c] for c < C: splatting (the points of
 * a vertex) and slicing (the corners of a point's simplex). */
CV_ALWAYS_INLINE void gatherRows(const int* rows, const float* weights, int count, float scale, const float* src, int C,
                       float* dst)
{
#if CV_SIMD
    const int c0 = forVectorBlocks(C, [&](auto nv, auto v, int c) {
        gatherRowsBlock<decltype(nv)::value, decltype(v)>(rows, weights, count, scale, src, (size_t)C, c, dst);
    });
#else
    const int c0 = 0;
#endif
    for (int c = c0; c < C; c++)
    {
        float s = 0.f;
        for (int e = 0; e < count; e++)
            s += (scale * weights[e]) * src[(size_t)rows[e] * C + c];
        dst[c] = s;
    }
}

/** One line of vertices (chain[0], chain[1], ... consecutive neighbours along a lattice direction)
 * blurred in place with [1/2 1 1/2]: each vertex gets the old values of its two neighbours (a
 * missing neighbour counts 0). Lines are disjoint, so lines can run in parallel. */
CV_ALWAYS_INLINE void blurChain(const int* chain, int length, float* values, int C)
{
#if CV_SIMD
    const int c0 = forVectorBlocks(C, [&](auto nv, auto v, int c) {
        blurChainBlock<decltype(nv)::value, decltype(v)>(chain, length, values, (size_t)C, c);
    });
#else
    const int c0 = 0;
#endif
    for (int c = c0; c < C; c++)
    {
        float prev = 0.f, cur = values[(size_t)chain[0] * C + c];
        for (int t = 0; t < length; t++)
        {
            const float next = t + 1 < length ? values[(size_t)chain[t + 1] * C + c] : 0.f;
            values[(size_t)chain[t] * C + c] = (cur + 0.5f * next) + 0.5f * prev;
            prev = cur;
            cur = next;
        }
    }
}

}}} // namespace cv::escrf::detail

#endif
