// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Feature compatibility logits, one row vector per weight: z = w . F_j (1 x N), and the
// adjoint that sends the logit gradient dz (1 x N) to F and to the weight.

#include "precomp.hpp"
#include "block_compat.hpp"
#include "block_kernels.hpp"

namespace cv {
namespace escrf {
namespace block {

template <typename T>
static void logitsT(const Mat& wrow, const Mat& F, Mat& z)
{
    const int C = F.rows, N = F.cols;
    z.create(1, N, F.type());
    const T* wc = wrow.ptr<T>();
    T* out = z.ptr<T>();
    parallel_for_(Range(0, N), [&](const Range& r) {
        const int n = r.end - r.start;
        std::fill(out + r.start, out + r.end, T(0));
        for (int c = 0; c < C; c++)
            axpyN(out + r.start, wc[c], F.ptr<T>(c) + r.start, n);
    }, std::max(1.0, (double)C * N / 262144.0));
}

void compatLogits(const Mat& wrow, const Mat& F, Mat& z)
{
    if (F.depth() == CV_32F) logitsT<float>(wrow, F, z);
    else logitsT<double>(wrow, F, z);
}

template <typename T>
static void logitsBackwardT(const Mat& wrow, const Mat& F, const Mat& dz, Mat& dF, Mat& dw)
{
    const int C = F.rows, N = F.cols;
    const T* wc = wrow.ptr<T>();
    const T* g = dz.ptr<T>();
    T* dwc = dw.ptr<T>();
    parallel_for_(Range(0, C), [&](const Range& r) {
        for (int c = r.start; c < r.end; c++)
        {
            axpyN(dF.ptr<T>(c), wc[c], g, N);
            dwc[c] += dotN(F.ptr<T>(c), g, N);
        }
    });
}

void compatLogitsBackward(const Mat& wrow, const Mat& F, const Mat& dz, Mat& dF, Mat& dw)
{
    if (F.depth() == CV_32F) logitsBackwardT<float>(wrow, F, dz, dF, dw);
    else logitsBackwardT<double>(wrow, F, dz, dF, dw);
}

}}} // namespace cv::escrf::block
