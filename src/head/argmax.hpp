// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_HEAD_ARGMAX_HPP
#define OPENCV_ESCRF_HEAD_ARGMAX_HPP

#include "opencv2/core.hpp"
#include <vector>

namespace cv {
namespace escrf {
namespace detail {

//! Label map (ltype CV_8U or CV_32S, size `size`) of the per-pixel argmax over the K rows of
//! planar K x size.area() scores; ties go to the lowest class.
void argmaxPlanar(const Mat& scores, Size size, int ltype, Mat& labels);

/** The label map of K planar scores (K x srcSize.area(), CV_32F) resized bilinearly to dstSize
(resizeBilinear's arithmetic), of its top-left outSize pixels (outSize <= dstSize): the per-pixel
argmax without the K x dstSize scores, computed in bands of rows (memory K x band x dstSize.width
per strip of scratch, kept by the caller between calls). */
void argmaxResized(const Mat& scores, Size srcSize, Size dstSize, Size outSize, int ltype, Mat& labels,
                   std::vector<std::vector<float> >& scratch);

}}} // namespace cv::escrf::detail

#endif
