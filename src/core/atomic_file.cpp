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
#include <sys/stat.h>
#include <unistd.h>

namespace cv {
namespace escrf {
namespace detail {

namespace {

// The file a write to `path` replaces: symbolic links are followed to their final target (which
// may not exist yet), so that the link stays and its target gets the new content; anything but a
// regular file (a folder, a device, a fifo, a socket) is refused, since renaming over it would
// replace it rather than write to it.
String replacedFile(const String& path, const char* what)
{
    String current = path;
    for (int hops = 0; hops < 40; hops++)
    {
        struct stat st;
        if (::lstat(current.c_str(), &st) != 0)
            return current;   // a new file (or a link to one)
        if (S_ISREG(st.st_mode))
            return current;
        if (!S_ISLNK(st.st_mode))
            CV_Error_(Error::StsBadArg, ("%s: '%s'%s is not a regular file (a folder, device, fifo or socket): "
                                         "refusing to replace it", what, path.c_str(),
                                         current == path ? "" : (" -> '" + current + "'").c_str()));
        std::vector<char> target((size_t)st.st_size + 256);
        const ssize_t n = ::readlink(current.c_str(), target.data(), target.size() - 1);
        if (n < 0)
            CV_Error_(Error::StsError, ("%s: cannot read the link '%s': %s", what, current.c_str(), std::strerror(errno)));
        const String link(target.data(), (size_t)n);
        const size_t slash = current.find_last_of('/');
        current = (link[0] == '/' || slash == String::npos) ? link : current.substr(0, slash + 1) + link;
    }
    CV_Error_(Error::StsBadArg, ("%s: '%s' is a chain of more than 40 symbolic links", what, path.c_str()));
}

} // namespace

void writeFileAtomically(const String& requested, const std::string& bytes, const char* what)
{
    if (!what)
        what = "file";
    if (requested.empty())
        CV_Error_(Error::StsBadArg, ("%s: the file name is empty", what));
    const String path = replacedFile(requested, what);
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
