// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_BLOCK_COMPAT_HPP
#define OPENCV_ESCRF_BLOCK_COMPAT_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace block {

//! z (1 x N) = wrow (1 x C) . F (C x N), per cell.
void compatLogits(const Mat& wrow, const Mat& F, Mat& z);

//! dF (C x N) += wrow^T dz; dw (1 x C) += dz F^T.
void compatLogitsBackward(const Mat& wrow, const Mat& F, const Mat& dz, Mat& dF, Mat& dw);

}}} // namespace cv::escrf::block

#endif
