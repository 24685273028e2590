// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

#ifndef OPENCV_ESCRF_CORE_ATOMIC_FILE_HPP
#define OPENCV_ESCRF_CORE_ATOMIC_FILE_HPP

#include "opencv2/core.hpp"

#include <string>

namespace cv {
namespace escrf {
namespace detail {

/** Writes bytes to `path` so that readers see either the old file or the complete new one:
 * the bytes go to a temporary file in the same folder (path + ".tmp<pid>"), which is flushed,
 * checked and renamed over `path`. On any failure the temporary file is removed and a
 * cv::Exception naming `what` and `path` is thrown; `path` is then left as it was.
 * A symbolic link is written through: its final target is replaced and the link stays. A path
 * that is (or links to) anything but a regular file - a folder, a device such as /dev/full, a
 * fifo, a socket - is refused with a cv::Exception before anything is written. */
void writeFileAtomically(const String& path, const std::string& bytes, const char* what);

/** Encodes image with cv::imencode in the format of path's extension (e.g. ".png") and writes
 * it with writeFileAtomically; an image the format cannot store throws like a write error. */
void writeImageAtomically(const String& path, const Mat& image, const char* what);

}}} // namespace cv::escrf::detail

#endif
