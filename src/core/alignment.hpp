// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_CORE_ALIGNMENT_HPP
#define OPENCV_ESCRF_CORE_ALIGNMENT_HPP

#include "opencv2/core.hpp"

#include <algorithm>

namespace cv {
namespace escrf {
namespace detail {

/** The multiple that image sizes must have for both the backbone (input sizes multiples of
 * sizeMultiple; values < 1 mean no constraint) and the head (stride divides the size):
 * lcm(max(1, sizeMultiple), stride). stride must be >= 1. */
inline int sizeAlignment(int sizeMultiple, int stride)
{
    if (stride < 1)
        CV_Error_(Error::StsBadArg, ("sizeAlignment: stride must be >= 1, got %d", stride));
    const int a = std::max(1, sizeMultiple);
    int x = a, y = stride;
    while (y)
    {
        const int t = x % y;
        x = y;
        y = t;
    }
    return a / x * stride;
}

}}} // namespace cv::escrf::detail

#endif
