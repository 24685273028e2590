// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// What a HeadCache holds: host copies of the head's intermediate tensors and the cache of the
// variant's stage, filled by Head::forward and by the runners of head_runner.hpp alike (the runners
// download their tensors); the block's cache is the one of the block backend that ran.
#ifndef OPENCV_ESCRF_HEAD_CACHE_HPP
#define OPENCV_ESCRF_HEAD_CACHE_HPP

#include "opencv2/escrf/head.hpp"
#include "block/nonlocal.hpp"
#include "crf/crf_rnn.hpp"
#include <memory>

namespace cv {
namespace escrf {

struct detail::HeadCacheState
{
    Mat Z;                  //!< D x N pre-activation (projections summed, bias added)
    Mat F;                  //!< D x N input of the feature stage (after the ReLU)
    Mat Fstar;              //!< D x N output of the feature stage, the classifier's input
    EscrfBlockCache block;  //!< the ES-CRF block's own cache (block variants)
    NonlocalCache nonlocal; //!< the non-local block's cache (nonlocal)
    CrfRnnCache crf;        //!< the mean-field steps' cache (joint-crf)
    std::shared_ptr<const CrfRnnGuide> crfGuide;   //!< joint-crf: the kernels built for this image
};

}} // namespace cv::escrf

#endif
