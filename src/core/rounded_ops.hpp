// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Explicitly rounded float and double operations for the __host__ __device__ math of the GPU
// pipelines (src/superpixels/slic_device_math.hpp, src/head/head_device_math.hpp). On the
// device they forbid FMA contraction, so that a CUDA kernel and its CPU emulation round every
// step the same way; on the host they are the plain operators (the module is built with
// -ffp-contract=off, see CMakeLists.txt). Compiles as plain C++ (no CUDA headers needed).
#ifndef OPENCV_ESCRF_ROUNDED_OPS_HPP
#define OPENCV_ESCRF_ROUNDED_OPS_HPP

#ifdef __CUDACC__
#define ESCRF_HD __host__ __device__ __forceinline__
#else
#define ESCRF_HD inline
#endif

namespace cv {
namespace escrf {
namespace rounded {

#ifdef __CUDA_ARCH__
#define ESCRF_ROUNDED_OP(name, T, device_op, host_expr) \
    ESCRF_HD T name(T a, T b) { return device_op(a, b); }
#else
#define ESCRF_ROUNDED_OP(name, T, device_op, host_expr) \
    ESCRF_HD T name(T a, T b) { return host_expr; }
#endif

ESCRF_ROUNDED_OP(mulRn, float, __fmul_rn, a * b)
ESCRF_ROUNDED_OP(addRn, float, __fadd_rn, a + b)
ESCRF_ROUNDED_OP(subRn, float, __fsub_rn, a - b)
ESCRF_ROUNDED_OP(divRn, float, __fdiv_rn, a / b)
ESCRF_ROUNDED_OP(dmulRn, double, __dmul_rn, a * b)
ESCRF_ROUNDED_OP(daddRn, double, __dadd_rn, a + b)
ESCRF_ROUNDED_OP(dsubRn, double, __dsub_rn, a - b)

#undef ESCRF_ROUNDED_OP

}}} // namespace cv::escrf::rounded

#endif
