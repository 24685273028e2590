// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// FNV-1a, 64 bit: the module's one hash, for the checksum line of head files and checkpoints
// (core/yaml_gate.hpp) and the file names of the feature cache. Each step, h = (h ^ byte) * prime,
// is a bijection of h for a given byte, so any change of a single byte changes the hash.
#ifndef OPENCV_ESCRF_CORE_CHECKSUM_HPP
#define OPENCV_ESCRF_CORE_CHECKSUM_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

inline uint64 fnv1a64(const void* data, size_t size)
{
    const unsigned char* p = (const unsigned char*)data;
    uint64 h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

}}} // namespace cv::escrf::detail

#endif
