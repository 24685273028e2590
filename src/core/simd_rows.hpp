// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Loops over a range of cells written once for a whole universal-intrinsics register and for
// one element: the body is a generic lambda body(tag, x) that loads, computes and stores through
// the overloads below, so the vector part and the scalar tail run the same formula (the same
// operations in the same order: no FMA contraction on either side, results identical lane for
// lane). Float and double; a depth without SIMD support runs the scalar form only.
#ifndef OPENCV_ESCRF_CORE_SIMD_ROWS_HPP
#define OPENCV_ESCRF_CORE_SIMD_ROWS_HPP

#include "opencv2/core.hpp"
#include "opencv2/core/hal/hal.hpp"
#include "opencv2/core/hal/intrin.hpp"
#include <algorithm>

namespace cv {
namespace escrf {
namespace simd {

//! One element of a range.
struct Lane
{
};

template <typename T> inline T load(Lane, const T* p) { return *p; }
template <typename T> inline void store(Lane, T* p, T v) { *p = v; }
template <typename T> inline T all(Lane, T a) { return a; }
template <typename T> inline T vmax(Lane, T a, T b) { return std::max(a, b); }
template <typename T> inline T vmin(Lane, T a, T b) { return std::min(a, b); }
//! z >= 0 ? a : b
template <typename T> inline T ifNonNegative(Lane, T z, T a, T b) { return z >= 0 ? a : b; }

//! Registers of T, where the build has them (PackOf<T>::lanes == 0 otherwise).
template <typename T> struct PackOf
{
    enum { lanes = 0 };
};

#if CV_SIMD
//! One universal-intrinsics register (CV_SIMD width).
struct Pack
{
};

template <> struct PackOf<float>
{
    typedef v_float32 type;
    enum { lanes = v_float32::nlanes };
};
inline v_float32 load(Pack, const float* p) { return vx_load(p); }
inline void store(Pack, float* p, const v_float32& v) { v_store(p, v); }
inline v_float32 all(Pack, float a) { return vx_setall_f32(a); }
inline v_float32 vmax(Pack, const v_float32& a, const v_float32& b) { return v_max(a, b); }
inline v_float32 vmin(Pack, const v_float32& a, const v_float32& b) { return v_min(a, b); }
inline v_float32 ifNonNegative(Pack, const v_float32& z, const v_float32& a, const v_float32& b)
{
    return v_select(z >= vx_setzero_f32(), a, b);
}

#if CV_SIMD_64F
template <> struct PackOf<double>
{
    typedef v_float64 type;
    enum { lanes = v_float64::nlanes };
};
inline v_float64 load(Pack, const double* p) { return vx_load(p); }
inline void store(Pack, double* p, const v_float64& v) { v_store(p, v); }
inline v_float64 all(Pack, double a) { return vx_setall_f64(a); }
inline v_float64 vmax(Pack, const v_float64& a, const v_float64& b) { return v_max(a, b); }
inline v_float64 vmin(Pack, const v_float64& a, const v_float64& b) { return v_min(a, b); }
inline v_float64 ifNonNegative(Pack, const v_float64& z, const v_float64& a, const v_float64& b)
{
    return v_select(z >= vx_setzero_f64(), a, b);
}
#endif
#endif

/** body(tag, x) for x in [lo, hi): whole registers of T first (tag Pack, x advancing by the
register's lanes), then single elements (tag Lane). */
template <typename T, typename Body>
inline void forRange(int lo, int hi, const Body& body)
{
    int x = lo;
#if CV_SIMD
    if constexpr (PackOf<T>::lanes > 0)
        for (; x + (int)PackOf<T>::lanes <= hi; x += PackOf<T>::lanes)
            body(Pack(), x);
#endif
    for (; x < hi; x++)
        body(Lane(), x);
}

//! dst[i] = exp(src[i]) for n elements (OpenCV's vectorised exponential; src may be dst).
inline void expN(const float* src, float* dst, int n) { if (n > 0) hal::exp32f(src, dst, n); }
inline void expN(const double* src, double* dst, int n) { if (n > 0) hal::exp64f(src, dst, n); }

} // namespace simd
}} // namespace cv::escrf

#endif
