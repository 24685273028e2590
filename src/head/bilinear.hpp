// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Bilinear resizing of planar tensors (C x (h*w), CV_32F or CV_64F) with half-pixel centres, the same
// as cv::resize(INTER_LINEAR) on each channel, and its adjoint, which backpropagates
// through it. The head resizes projected features to its resolution and logits to the image.
#ifndef OPENCV_ESCRF_HEAD_BILINEAR_HPP
#define OPENCV_ESCRF_HEAD_BILINEAR_HPP

#include "opencv2/core.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

/** Two-tap interpolation along one axis, with cv::resize's INTER_LINEAR coordinates:
src = (dst + 0.5) * srcLen / dstLen - 0.5, clamped to the border. Destination d reads sources
i0[d], i1[d] with weights w0[d], w1[d]. Shared by the CPU head and the GPU head's tables. */
struct LinearTaps
{
    std::vector<int> i0, i1;
    std::vector<float> w0, w1;
    LinearTaps(int srcLen, int dstLen);
};

/** Rows [y0, y1) of the bilinear resize of one plane: src (srcSize, row-major) to a plane of
width tx's length, written to dst (row y at dst + (y - y0) * width) or added to it (accumulate).
Each source row the rows read is interpolated along x once, into scratch (grown as needed).
dst = (h0 w0y + h1 w1y) [+ dst], h = s[i0x] w0x + s[i1x] w1x: the arithmetic of cv::resize's
INTER_LINEAR. Every bilinear resize of the module's CPU code goes through it. */
template <typename T>
void resizePlaneRows(const T* src, Size srcSize, const LinearTaps& tx, const LinearTaps& ty, int y0, int y1, T* dst,
                     bool accumulate, std::vector<T>& scratch);

//! dst (C x dstSize.area()) = resize of each row of src (C x srcSize.area()). When the sizes
//! are equal, dst shares src's data (and likewise for the adjoint).
void resizeBilinear(const Mat& src, Size srcSize, Size dstSize, Mat& dst);

//! dSrc (C x srcSize.area()) = adjoint of resizeBilinear applied to dDst (C x dstSize.area()).
void resizeBilinearAdjoint(const Mat& dDst, Size srcSize, Size dstSize, Mat& dSrc);

}}} // namespace cv::escrf::detail

#endif
