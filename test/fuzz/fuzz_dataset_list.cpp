// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// The list reader on arbitrary bytes: readDatasetList without and with the file checks, and
// Dataset (whose samples' paths are then loaded, which must fail cleanly or give a sample).
#include "fuzz_common.hpp"
#include "opencv2/escrf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = escrf_fuzz::writeInput("list.txt", data, size);
    try
    {
        cv::escrf::readDatasetList(path, false);
    }
    catch (const cv::Exception&)
    {
    }
    try
    {
        cv::escrf::Dataset list(path);
        cv::Mat image, label;
        for (int i = 0; i < std::min(list.size(), 2); i++)
            list.load(i, image, label);
    }
    catch (const cv::Exception&)
    {
    }
    return 0;
}
