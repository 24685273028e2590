// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The host-side pieces of the head's GPU pipeline (head_pipeline.hpp) that every backend
// shares: the runner interface and the resize tables of one axis.
#include "precomp.hpp"
#include "head/head_pipeline.hpp"

namespace cv {
namespace escrf {
namespace detail {

HeadRunner::~HeadRunner() {}

AxisTaps::AxisTaps(int srcLen, int dstLen)
    : LinearTaps(srcLen, dstLen), begin(srcLen, 0), end(srcLen, 0)
{
    // Destinations reading each source: i0 and i1 never decrease with d, so the range is contiguous.
    std::vector<uchar> seen(srcLen, 0);
    for (int d = 0; d < dstLen; d++)
        for (int s : { i0[d], i1[d] })
        {
            if (!seen[s])
                begin[s] = d, seen[s] = 1;
            end[s] = d + 1;
        }
}

}}} // namespace cv::escrf::detail
