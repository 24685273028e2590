// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Multi-scale and flip testing (Segmenter::setScales / setFlip): a loop over the Segmenter's
// single-scale probability path, kept apart from the pipeline in segmenter.cpp, which it only
// calls.
#ifndef OPENCV_ESCRF_SEGMENTER_SCALES_HPP
#define OPENCV_ESCRF_SEGMENTER_SCALES_HPP

#include "opencv2/core.hpp"

#include <functional>
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! The largest test scale: a 4x image has 16x the pixels and memory of a single-scale pass.
constexpr double kMaxTestScale = 4.0;

/** The check of a test scale list (Segmenter::setScales, escrf_eval --scales): not empty, every
scale finite and in (0, kMaxTestScale]; a cv::Exception naming `caller` otherwise. */
void checkTestScales(const char* caller, const std::vector<double>& scales);

//! Whether `scales` and `flip` ask for more than the plain single-scale pass.
bool isTestTimeAugmented(const std::vector<double>& scales, bool flip);

//! An image of `size` at `scale`: each side rounded, at least 1 pixel.
Size scaledImageSize(Size size, double scale);

/** The mean, over the passes, of the K x H x W CV_32F class probabilities of `image` (H x W):
one pass per scale, and per scale one more on the horizontally flipped image when `flip`.
`probabilitiesOf(input, P)` gives one pass's K x h x w probabilities of `input` at its own size;
they are flipped back and resized (bilinear) to H x W before they enter the mean. */
void averageOverScales(const Mat& image, const std::vector<double>& scales, bool flip,
                       const std::function<void(const Mat&, Mat&)>& probabilitiesOf, Mat& probabilities);

}}} // namespace cv::escrf::detail

#endif
