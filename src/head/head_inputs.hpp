// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_HEAD_INPUTS_HPP
#define OPENCV_ESCRF_HEAD_INPUTS_HPP

#include "opencv2/core.hpp"
#include "opencv2/escrf/backbone.hpp"
#include "opencv2/escrf/head.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** The tensors a head reads, in the order of `names`: backbone outputs, except the name
 * ESCRF_HEAD_INPUT_GUIDE ("guide"), which is the image itself as a 1 x 3 x H x W RGB blob in [0,1]
 * (the block's guide image, at full resolution). The backbone runs only when some name is
 * not "guide". The Mats already in `inputs` are reused when they have the output's size: a
 * caller that keeps the vector between images of one size allocates nothing for them. */
void computeHeadInputs(Backbone& backbone, const Mat& bgr8, const std::vector<String>& names,
                       std::vector<Mat>& inputs);

//! The guide image as a 1 x 3 x H x W RGB blob in [0,1].
Mat guideBlob(const Mat& bgr8);

/** The guide a head needs for one image (Head::forward's `guide`): prepareGuide for the ES-CRF
 * block variants (superpixels: labels of the image, M of them), the image part only for joint-crf
 * (superpixels unused, may be empty), nothing for the others. */
void prepareHeadGuide(const Head& head, const Mat& image, const Mat& superpixels, int numSuperpixels,
                      Size headSize, EscrfGuide& guide);

}}} // namespace cv::escrf::detail

#endif
