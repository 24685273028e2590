// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/argmax.hpp"
#include "head/head_rows.hpp"

namespace cv {
namespace escrf {
namespace detail {

void argmaxPlanar(const Mat& scores, Size size, int ltype, Mat& labels)
{
    CV_Assert(scores.type() == CV_32F && scores.cols == size.area() && scores.rows > 0);
    CV_Assert(ltype == CV_8U || ltype == CV_32S);
    const int K = scores.rows;
    labels.create(size, ltype);
    parallel_for_(Range(0, size.height), [&](const Range& r) {
        for (int y = r.start; y < r.end; y++)
            argmaxCells(scores.ptr<float>() + (size_t)y * size.width, scores.step1(), K, size.width, ltype, labels.ptr(y));
    });
}

}}} // namespace cv::escrf::detail
