// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_TRAIN_LOSS_HPP
#define OPENCV_ESCRF_TRAIN_LOSS_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** Per-pixel softmax cross-entropy at full resolution.
 * The K x (h*w) logits at headSize are resized bilinearly to the label map's size; each pixel
 * whose label is not ignoreLabel contributes w_y * (-log softmax(z)_y), w the class weights
 * (all 1 when empty). Labels outside [0, K) other than ignoreLabel are an error.
 * @param dLogits output: gradient of the SUM of the contributions, at head resolution.
 * @param weightSum output: sum of w_y over the contributing pixels (the mean's denominator).
 * @return the sum of the contributions. */
double softmaxCrossEntropy(const Mat& logits, Size headSize, const Mat& labels, int ignoreLabel,
                           const std::vector<float>& classWeights, Mat& dLogits, double& weightSum);

}}} // namespace cv::escrf::detail

#endif
