// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#include "precomp.hpp"
#include "head/argmax.hpp"

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
        std::vector<float> best(size.width);
        std::vector<int> arg(size.width);
        for (int y = r.start; y < r.end; y++)
        {
            const size_t offset = (size_t)y * size.width;
            // Class-outer loop: each row of scores is read contiguously.
            std::copy(scores.ptr<float>(0) + offset, scores.ptr<float>(0) + offset + size.width, best.begin());
            std::fill(arg.begin(), arg.end(), 0);
            for (int k = 1; k < K; k++)
            {
                const float* s = scores.ptr<float>(k) + offset;
                for (int x = 0; x < size.width; x++)
                    if (s[x] > best[x])
                        best[x] = s[x], arg[x] = k;
            }
            if (ltype == CV_8U)
                for (int x = 0; x < size.width; x++)
                    labels.at<uchar>(y, x) = (uchar)arg[x];
            else
                std::copy(arg.begin(), arg.end(), labels.ptr<int>(y));
        }
    });
}

}}} // namespace cv::escrf::detail
