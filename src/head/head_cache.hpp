// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What a HeadCache holds: host copies of the head's intermediate tensors and the block's cache,
// filled by Head::forward and by the runners of head_runner.hpp alike (the runners download
// their tensors); the block's cache is the one of the block backend that ran.
#ifndef OPENCV_ESCRF_HEAD_CACHE_HPP
#define OPENCV_ESCRF_HEAD_CACHE_HPP

#include "opencv2/escrf/head.hpp"

namespace cv {
namespace escrf {

struct detail::HeadCacheState
{
    Mat Z;                  //!< D x N pre-activation (projections summed, bias added)
    Mat F;                  //!< D x N block input (after the ReLU)
    Mat Fstar;              //!< D x N block output, the classifier's input
    EscrfBlockCache block;  //!< the block's own cache (empty for the baseline variant)
};

}} // namespace cv::escrf

#endif
