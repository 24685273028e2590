// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_BLOCK_GUIDE_HPP
#define OPENCV_ESCRF_BLOCK_GUIDE_HPP

#include "opencv2/escrf/block.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** The part of prepareGuide that does not need superpixels: guide.featureSize and guide.image (the
 * RGB image resized bilinearly to featureSize, 3 x N), the rest left empty. For the stages that only
 * read the image (the joint-crf's kernels); same arguments and checks as prepareGuide. */
void prepareImageGuide(InputArray image, Size featureSize, EscrfGuide& guide, int depth = CV_32F);

}}} // namespace cv::escrf::detail

#endif
