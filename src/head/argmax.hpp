// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_HEAD_ARGMAX_HPP
#define OPENCV_ESCRF_HEAD_ARGMAX_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Label map (ltype CV_8U or CV_32S, size `size`) of the per-pixel argmax over the K rows of
//! planar K x size.area() scores; ties go to the lowest class.
void argmaxPlanar(const Mat& scores, Size size, int ltype, Mat& labels);

}}} // namespace cv::escrf::detail

#endif
