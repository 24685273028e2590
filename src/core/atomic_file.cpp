// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The one atomic file writer of the module (head files, checkpoints, feature cache, training
// log and plot, evaluation predictions): an interrupted or failed write never leaves a
// half-written file, nor a stray temporary file, behind.
#include "precomp.hpp"
#include "core/atomic_file.hpp"
#include "opencv2/imgcodecs.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace cv {
namespace escrf {
namespace detail {

void writeFileAtomically(const String& path, const std::string& bytes, const char* what)
{
    if (!what)
        what = "file";
    if (path.empty())
        CV_Error_(Error::StsBadArg, ("%s: the file name is empty", what));
    const String tmp = path + format(".tmp%d", (int)getpid());
    bool ok = false;
    int err = 0;
    {
        std::ofstream out(tmp.c_str(), std::ios::binary | std::ios::trunc);
        if (out)
        {
            out.write(bytes.data(), (std::streamsize)bytes.size());
            out.flush();
            ok = (bool)out;
            out.close();
            ok = ok && !out.fail();
        }
        if (!ok)
            err = errno;
    }
    if (!ok)
    {
        std::remove(tmp.c_str());
        CV_Error_(Error::StsError, ("%s: cannot write '%s' (temporary file '%s': %s)", what, path.c_str(),
                                    tmp.c_str(), err ? std::strerror(err) : "write failed"));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
    {
        err = errno;
        std::remove(tmp.c_str());
        CV_Error_(Error::StsError, ("%s: cannot rename the temporary file into place as '%s': %s", what,
                                    path.c_str(), std::strerror(err)));
    }
}

void writeImageAtomically(const String& path, const Mat& image, const char* what)
{
    if (!what)
        what = "image";
    const size_t dot = path.find_last_of('.');
    const size_t slash = path.find_last_of("/\\");
    if (dot == String::npos || (slash != String::npos && dot < slash))
        CV_Error_(Error::StsBadArg, ("%s: '%s' has no file extension to choose the image format", what, path.c_str()));
    std::vector<uchar> buf;
    bool encoded = false;
    try
    {
        encoded = imencode(path.substr(dot), image, buf);
    }
    catch (const cv::Exception& e)
    {
        CV_Error_(Error::StsError, ("%s: cannot encode '%s': %s", what, path.c_str(), e.err.c_str()));
    }
    if (!encoded)
        CV_Error_(Error::StsError, ("%s: cannot encode '%s' (%s image, %dx%d)", what, path.c_str(),
                                    typeToString(image.type()).c_str(), image.cols, image.rows));
    writeFileAtomically(path, std::string(buf.begin(), buf.end()), what);
}

}}} // namespace cv::escrf::detail
