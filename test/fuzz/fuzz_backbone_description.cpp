// This file is part of OpenCV project.
// It is subject to the license terms in the LICENSE file found in the top-level directory
// of this distribution and at http://opencv.org/license.html.

// BackboneDescription::read on arbitrary bytes (the first entry and a named one); a description
// that reads is written and read back.
#include "fuzz_common.hpp"
#include "opencv2/escrf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = escrf_fuzz::writeInput("backbone.yml", data, size);
    try
    {
        cv::escrf::BackboneDescription d = cv::escrf::BackboneDescription::read(path);
        cv::FileStorage fs(escrf_fuzz::folder() + "/written.yml", cv::FileStorage::WRITE);
        fs << "entry" << "{";
        d.write(fs);
        fs << "}";
        fs.release();
        cv::escrf::BackboneDescription::read(escrf_fuzz::folder() + "/written.yml");
    }
    catch (const cv::Exception&)
    {
    }
    try
    {
        cv::escrf::BackboneDescription::read(path, "espnet_camvid");
    }
    catch (const cv::Exception&)
    {
    }
    return 0;
}
