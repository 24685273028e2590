// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// Shared by the libFuzzer harnesses: the loaders take file names, so each input is written to a
// file in a private temporary folder (tmpfs when /dev/shm exists). A harness accepts a
// cv::Exception (the contract for bad input); anything else - a crash, a sanitizer report, a hang
// (libFuzzer's -timeout), another exception type escaping - is a finding.
#ifndef OPENCV_ESCRF_FUZZ_COMMON_HPP
#define OPENCV_ESCRF_FUZZ_COMMON_HPP

#include "opencv2/core.hpp"
#include "opencv2/core/utils/logger.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace escrf_fuzz {

//! A folder of this process for the inputs (removed at exit is not needed: one file, rewritten).
inline const std::string& folder()
{
    static const std::string dir = [] {
        std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string d = base + "/escrf_fuzz_" + std::to_string(getpid());
        std::string cmd = "mkdir -p '" + d + "'";
        if (std::system(cmd.c_str()) != 0)
            std::abort();
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        return d;
    }();
    return dir;
}

//! Writes the input to folder()/name and returns the path.
inline std::string writeInput(const std::string& name, const uint8_t* data, size_t size)
{
    const std::string path = folder() + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        std::abort();
    if (size && std::fwrite(data, 1, size, f) != size)
        std::abort();
    std::fclose(f);
    return path;
}

} // namespace escrf_fuzz

#endif
