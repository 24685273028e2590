// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The label maps the metrics and the class analysis read: one check of their type.
#ifndef OPENCV_ESCRF_METRICS_LABEL_MAP_HPP
#define OPENCV_ESCRF_METRICS_LABEL_MAP_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

/** A non-empty single-channel CV_8U, CV_16U or CV_32S label map as CV_32S (no copy when it already
 * is); cv::Exception "fn: what must be ..." otherwise. */
inline Mat labelMapAs32S(InputArray arr, const char* fn, const char* what)
{
    Mat m = arr.getMat();
    if (m.empty())
        CV_Error_(Error::StsBadArg, ("%s: %s is empty", fn, what));
    if (m.channels() != 1 || (m.depth() != CV_8U && m.depth() != CV_16U && m.depth() != CV_32S))
        CV_Error_(Error::StsBadArg, ("%s: %s must be a single-channel CV_8U, CV_16U or CV_32S label map, got type %s",
                                     fn, what, typeToString(m.type()).c_str()));
    if (m.depth() == CV_32S)
        return m;
    Mat out;
    m.convertTo(out, CV_32S);
    return out;
}

}}} // namespace cv::escrf::detail

#endif
