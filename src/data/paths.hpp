// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Path helpers for files that name other files relative to themselves (list files,
// backbone descriptions).
#ifndef OPENCV_ESCRF_DATA_PATHS_HPP
#define OPENCV_ESCRF_DATA_PATHS_HPP

#include "opencv2/core.hpp"

namespace cv {
namespace escrf {
namespace detail {

//! Folder part of a path ("" when the path has no folder).
inline String folderOf(const String& path)
{
    const size_t pos = path.find_last_of("/\\");
    return pos == String::npos ? String() : path.substr(0, pos == 0 ? 1 : pos);
}

inline bool isAbsolutePath(const String& path)
{
    return (!path.empty() && (path[0] == '/' || path[0] == '\\')) ||
           (path.size() > 1 && path[1] == ':');
}

//! path when absolute or when folder is empty, folder/path otherwise.
inline String resolvePath(const String& folder, const String& path)
{
    if (folder.empty() || isAbsolutePath(path))
        return path;
    const char last = folder[folder.size() - 1];
    return (last == '/' || last == '\\') ? folder + path : folder + "/" + path;
}

}}} // namespace cv::escrf::detail

#endif
